// A scratch copy of the commit for one render: the files the tool may read, written under a
// fresh directory that is removed afterwards. Paths come from git (relative, no ".."), but
// they are checked again here: a tool must never be pointed outside its copy.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export interface SourceFile {
  /** Relative to the source root, "/"-separated. */
  readonly path: string;
  readonly content: string | Uint8Array;
}

export class Scratch {
  private constructor(readonly dir: string) {}

  static async create(parent: string): Promise<Scratch> {
    await mkdir(parent, { recursive: true });
    return new Scratch(await mkdtemp(join(parent, 'render-')));
  }

  /** Where `relative` (a source path) lands in the copy. */
  pathOf(relative: string): string {
    const normal = posix.normalize(relative);
    if (posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
      throw new Error(`refusing to write ${JSON.stringify(relative)} outside the scratch copy`);
    }
    return join(this.dir, 'src', normal);
  }

  async write(files: readonly SourceFile[]): Promise<void> {
    const dirs = new Set(files.map((file) => dirname(this.pathOf(file.path))));
    await mkdir(join(this.dir, 'src'), { recursive: true });
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    for (const file of files) await writeFile(this.pathOf(file.path), file.content, { mode: 0o600 });
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
