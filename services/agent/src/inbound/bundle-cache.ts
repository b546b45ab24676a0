import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const digestPattern = /^sha256:([0-9a-f]{64})$/;

export function digestHex(digest: string): string | undefined {
  return digestPattern.exec(digest)?.[1];
}

/** sha256 of the bytes, as a bundle digest: what the agent checks before using a bundle. */
export function contentDigest(content: Uint8Array): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/**
 * Bundles on disk by digest (content-addressed: never stale). A cached file is checked
 * against its digest on every read, so a corrupted one is dropped and fetched again.
 */
export class BundleCache {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'bundles');
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    const hex = digestHex(digest);
    if (!hex) return undefined;
    const file = path.join(this.dir, `${hex}.json`);
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch {
      return undefined;
    }
    if (contentDigest(content) === digest) return content;
    await rm(file, { force: true });
    return undefined;
  }

  async put(digest: string, content: Uint8Array): Promise<void> {
    const hex = digestHex(digest);
    if (!hex) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${hex}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, content, { mode: 0o600 });
    await rename(tmp, file);
  }
}
