import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { ObservedCommit } from '@flotilla/domain';
import { durations } from '../../durations';

/** A git command failed; the message is already scrubbed of credentials and bounded. */
export class GitCommandError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GitCommandError';
  }
}

/** How git authenticates to the remote: environment only, never arguments or the mirror's config. */
export interface GitAuth {
  env: Record<string, string>;
  /** simple-git refuses these variables unless told they are intended. */
  unsafe: { allowUnsafeSshCommand?: boolean; allowUnsafeConfigEnvCount?: boolean };
}

/** The files an application reads at a commit exceed the hub's limit. */
export class TreeTooLargeError extends GitCommandError {
  constructor(message: string) {
    super(message);
    this.name = 'TreeTooLargeError';
  }
}

const noAuth: GitAuth = { env: {}, unsafe: {} };

/** The mirror's own marker of the last observed commit: keeps it reachable for merge-base after a force-push. */
const observedRef = 'refs/flotilla/observed';
const recordSeparator = '\x1e';
const logFormat = '%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B%x00';
const reasonMaxLength = 1024;

/**
 * A bare mirror of one source's branch under the hub's data directory. Each replica keeps
 * its own; nothing in it is authoritative (the event log is), so it can be deleted at any
 * time and is rebuilt by the next fetch.
 */
export class GitMirror {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly source: { name: string; url: string; branch: string },
    private readonly auth: GitAuth = noAuth,
  ) {
    // The URL is part of the directory: a source removed and re-added elsewhere never reuses a mirror.
    const urlHash = createHash('sha256').update(source.url).digest('hex').slice(0, 12);
    this.dir = path.join(dataDir, `${source.name}-${urlHash}.git`);
  }

  static dirPrefix(name: string): string {
    return `${name}-`;
  }

  /** Fetches the branch (forced: a force-push must show, not be refused) and returns its head sha. */
  async fetch(): Promise<string> {
    await this.ensureInitialised();
    const branchRef = `refs/heads/${this.source.branch}`;
    await this.run(['fetch', '--no-tags', '--no-write-fetch-head', 'origin', `+${branchRef}:${branchRef}`], true);
    return (await this.run(['rev-parse', '--verify', `${branchRef}^{commit}`])).trim();
  }

  // simple-git treats a non-zero exit without stderr as success, so these read output, not exit codes.
  async hasCommit(sha: string): Promise<boolean> {
    const out = await this.run(['rev-parse', '--verify', '--quiet', `${sha}^{commit}`]).catch(() => '');
    return out.trim() === sha;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await this.mergeBase(ancestor, descendant)) === ancestor;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const out = await this.run(['merge-base', a, b]).catch(() => '');
    return out.trim() || undefined;
  }

  /** Commits reachable from `head` but not from `since`, oldest first (parents before children). */
  async commitsBetween(since: string | undefined, head: string): Promise<string[]> {
    const range = since ? [`${since}..${head}`] : [head];
    const out = await this.run(['rev-list', '--reverse', '--topo-order', ...range]);
    return out.split('\n').filter(Boolean);
  }

  /** Author, times, message and changed paths (against the first parent) of each commit, in the given order. */
  async describe(shas: string[]): Promise<ObservedCommit[]> {
    if (shas.length === 0) return [];
    const out = await this.run([
      'log',
      '--no-walk=unsorted',
      '--diff-merges=first-parent',
      '--name-only',
      '-z',
      `--format=${logFormat}`,
      ...shas,
    ]);
    return out
      .split(recordSeparator)
      .filter((record) => record.length > 0)
      .map((record) => {
        const [sha, parents, name, email, authoredAt, committedAt, message, ...rest] = record.split('\0');
        const changedPaths = rest.map((p) => p.replace(/^\n/, '')).filter((p) => p.length > 0);
        return {
          sha: sha!,
          parents: parents ? parents.split(' ') : [],
          author: { name: name ?? '', email: email ?? '' },
          authoredAt: new Date(authoredAt!).toISOString(),
          committedAt: new Date(committedAt!).toISOString(),
          message: (message ?? '').replace(/\n+$/, ''),
          changedPaths,
          changedPathsTruncated: false,
        };
      });
  }

  /**
   * The files under `dir` ("" for the root) at `commit`, as {path (from the source root),
   * content}, read from the object store (no checkout): one `ls-tree` and one `cat-file
   * --batch`. Only names `accept` keeps are read; the total is capped at `maxBytes` so a
   * huge directory fails here instead of filling memory.
   */
  async readTree(
    commit: string,
    dir: string,
    options: { accept?: (path: string) => boolean; maxBytes?: number } = {},
  ): Promise<Array<{ path: string; content: string }>> {
    const listing = await this.run(['ls-tree', '-r', '-z', '--full-tree', '-l', commit, '--', ...(dir ? [dir] : [])]);
    const blobs: Array<{ sha: string; path: string; size: number }> = [];
    for (const entry of listing.split('\0')) {
      if (!entry) continue;
      // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`
      const tab = entry.indexOf('\t');
      const [, type, sha, size] = entry.slice(0, tab).split(/\s+/);
      const file = entry.slice(tab + 1);
      if (type !== 'blob' || !sha || (options.accept && !options.accept(file))) continue;
      blobs.push({ sha, path: file, size: Number(size) });
    }
    const total = blobs.reduce((sum, blob) => sum + blob.size, 0);
    if (options.maxBytes !== undefined && total > options.maxBytes) {
      throw new TreeTooLargeError(
        `the files under ${dir || 'the source root'} at ${commit} are ${total} bytes, above the limit of ${options.maxBytes}`,
      );
    }
    if (blobs.length === 0) return [];
    const out = await this.catFileBatch(blobs.map((blob) => blob.sha));
    return blobs.map((blob, i) => ({ path: blob.path, content: out[i]!.toString('utf8') }));
  }

  private async catFileBatch(shas: string[]): Promise<Buffer[]> {
    const dir = await this.baseDir();
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['cat-file', '--batch'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.dirname(this.dir), GIT_CONFIG_NOSYSTEM: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const chunks: Buffer[] = [];
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), durations.gitCommandIdleTimeoutMs);
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new GitCommandError(scrub(`git cat-file: ${err.message}`), { cause: err }));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) return reject(new GitCommandError(scrub(`git cat-file exited with ${code}: ${stderr}`)));
        // Each answer: `<sha> <type> <size>\n<content>\n`.
        const all = Buffer.concat(chunks);
        const results: Buffer[] = [];
        let at = 0;
        for (const sha of shas) {
          const eol = all.indexOf(0x0a, at);
          const header = all.subarray(at, eol).toString('utf8').split(' ');
          if (header[1] !== 'blob') return reject(new GitCommandError(`git cat-file: ${sha} is not a blob`));
          const size = Number(header[2]);
          results.push(all.subarray(eol + 1, eol + 1 + size));
          at = eol + 1 + size + 1;
        }
        resolve(results);
      });
      child.stdin.end(`${shas.join('\n')}\n`);
    });
  }

  async markObserved(sha: string): Promise<void> {
    await this.run(['update-ref', observedRef, sha]);
  }

  private async ensureInitialised(): Promise<void> {
    const exists = await stat(path.join(this.dir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(this.dir, { recursive: true });
      // git 2.39 points a new bare repository's HEAD at master: name the branch explicitly.
      await this.run(['init', '--bare', '--quiet', `--initial-branch=${this.source.branch}`]);
      // Old objects stay until gc; an auto-gc in the middle of a poll would only cost time.
      await this.run(['config', 'gc.auto', '0']);
      await this.run(['config', 'remote.origin.url', this.source.url]);
    } else {
      // The URL is part of the directory name, but an interrupted init may have left no remote.
      await this.run(['config', 'remote.origin.url', this.source.url]);
    }
  }

  private async run(args: string[], remote = false): Promise<string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: path.dirname(this.dir),
      LANG: 'C',
      LC_ALL: 'C',
      // Never wait for a person at a prompt: a missing credential is a failure, reported.
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      ...(remote ? this.auth.env : {}),
    };
    const git: SimpleGit = simpleGit({
      baseDir: await this.baseDir(),
      timeout: { block: durations.gitCommandIdleTimeoutMs },
      allowEnvironment: Object.keys(env),
      unsafe: remote ? this.auth.unsafe : {},
    }).env(env);
    try {
      return await git.raw(args);
    } catch (err) {
      throw new GitCommandError(scrub(`git ${args[0]}: ${(err as Error).message}`), { cause: err });
    }
  }

  private async baseDir(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    return this.dir;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Git's messages can echo URLs and headers: strip anything credential-shaped, keep it short. */
export function scrub(message: string): string {
  return message
    .replace(/(\/\/)[^/@\s]*:[^/@\s]*@/g, '$1***@')
    .replace(/(authorization:\s*)\S+(\s+\S+)?/gi, '$1***')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, reasonMaxLength);
}
