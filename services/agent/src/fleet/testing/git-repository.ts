import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A real git repository made on the spot, served to the hub as a file:// URL. */
export class GitRepository {
  private constructor(
    private readonly root: string,
    readonly dir: string,
  ) {}

  static async create(prefix = 'flotilla-fleet-src'): Promise<GitRepository> {
    const root = await mkdtemp(path.join(tmpdir(), `${prefix}-`));
    const dir = path.join(root, 'repo');
    await mkdir(dir);
    const repository = new GitRepository(root, dir);
    // git 2.39 would name the first branch master.
    await repository.git('init', '--quiet', '-b', 'main');
    return repository;
  }

  get url(): string {
    return `file://${this.dir}`;
  }

  async git(...args: string[]): Promise<string> {
    const { stdout } = await run('git', args, {
      cwd: this.dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.root,
        GIT_AUTHOR_NAME: 'Fleet Bench',
        GIT_AUTHOR_EMAIL: 'fleet@example.com',
        GIT_COMMITTER_NAME: 'Fleet Bench',
        GIT_COMMITTER_EMAIL: 'fleet@example.com',
        GIT_CONFIG_NOSYSTEM: '1',
      },
    });
    return stdout;
  }

  /** Writes the files, commits them and returns the new commit id. */
  async commit(message: string, files: Record<string, string>): Promise<string> {
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(this.dir, file)), { recursive: true });
      await writeFile(path.join(this.dir, file), content);
    }
    await this.git('add', '--all');
    await this.git('commit', '--quiet', '-m', message);
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
