import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A real git repository in a temp dir, served to the hub as a file:// URL. */
export class GitFixture {
  private constructor(
    readonly root: string,
    readonly repoDir: string,
  ) {}

  static async create(prefix = 'flotilla-src'): Promise<GitFixture> {
    const root = await mkdtemp(path.join(tmpdir(), `${prefix}-`));
    const repoDir = path.join(root, 'repo');
    await mkdir(repoDir);
    const fixture = new GitFixture(root, repoDir);
    await fixture.git('init', '--quiet', '-b', 'main');
    return fixture;
  }

  get url(): string {
    return `file://${this.repoDir}`;
  }

  async git(...args: string[]): Promise<string> {
    const { stdout } = await run('git', args, {
      cwd: this.repoDir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.root,
        GIT_AUTHOR_NAME: 'Ada Lovelace',
        GIT_AUTHOR_EMAIL: 'ada@example.com',
        GIT_COMMITTER_NAME: 'Ada Lovelace',
        GIT_COMMITTER_EMAIL: 'ada@example.com',
        GIT_CONFIG_NOSYSTEM: '1',
      },
    });
    return stdout;
  }

  /** Writes the files, commits them and returns the new sha. */
  /** `null` deletes the file. */
  async commit(message: string, files: Record<string, string | null>): Promise<string> {
    for (const [file, content] of Object.entries(files)) {
      if (content === null) {
        await rm(path.join(this.repoDir, file), { force: true });
        continue;
      }
      await mkdir(path.dirname(path.join(this.repoDir, file)), { recursive: true });
      await writeFile(path.join(this.repoDir, file), content);
    }
    await this.git('add', '--all');
    await this.git('commit', '--quiet', '-m', message);
    return this.head();
  }

  async head(): Promise<string> {
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  /** Makes the remote unreachable (and back), as a deleted or moved repository would be. */
  async hide(): Promise<void> {
    await rename(this.repoDir, `${this.repoDir}.hidden`);
  }

  async unhide(): Promise<void> {
    await rename(`${this.repoDir}.hidden`, this.repoDir);
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
