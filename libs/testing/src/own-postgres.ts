import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

/** Where the Debian packages install them; FLOTILLA_TEST_POSTGRES_BIN overrides. */
export const postgresBinDir = process.env.FLOTILLA_TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface OwnPostgres {
  /** Connection string of the `postgres` database (trust auth, loopback only). */
  url: string;
  port: number;
  /** The postmaster's pid, while it runs. */
  pid(): number | undefined;
  /** SIGKILLs the postmaster (its backends die with it once they notice); resolves when it exited. */
  kill(): Promise<void>;
  /** Starts the postmaster again on the same port and data directory (crash recovery runs). */
  restart(): Promise<void>;
  /** Stops it and deletes its data directory. */
  dispose(): Promise<void>;
}

/**
 * A Postgres cluster that belongs to one test (initdb in a temp directory, a free loopback
 * port), for tests that kill the database: the shared server on 5432 must never be touched.
 * initdb and postgres refuse to run as root, so under root they run as the `postgres` user.
 */
export async function startOwnPostgres(options: { startTimeoutMs?: number } = {}): Promise<OwnPostgres> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-pg-'));
  const dataDir = path.join(dir, 'data');
  const asUser = runAsUser();
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const initdb = spawnSync(
    path.join(postgresBinDir, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    { encoding: 'utf8', ...(asUser ?? {}), timeout: startTimeoutMs },
  );
  if (initdb.error || initdb.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `initdb failed (${initdb.error?.message ?? `exit ${initdb.status}`}): install the Debian package postgresql-15 ` +
        `or set FLOTILLA_TEST_POSTGRES_BIN.\n${initdb.stderr ?? ''}`,
      { cause: initdb.error },
    );
  }

  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const proc = spawn(
      path.join(postgresBinDir, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-h',
        '127.0.0.1',
        '-k',
        dir,
        '-c',
        'fsync=off',
        '-c',
        'max_connections=50',
        '-c',
        'shared_buffers=16MB',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(asUser ?? {}) },
    );
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new PostgresStartError(`postgres exited (${proc.exitCode ?? proc.signalCode}) on port ${port}`, output);
      const client = new Client({ connectionString: urlOf(port), connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new PostgresStartError(
            `postgres did not accept connections on 127.0.0.1:${port} within ${startTimeoutMs} ms: ${(err as Error).message}`,
            output,
          );
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  async function stop(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killTimer);
  }

  // The port was free a moment ago; another process may take it before the postmaster binds,
  // so a failed bind is retried on a fresh port (only at first start: a restart keeps its port).
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (err) {
      await stop('SIGKILL');
      const bindRace = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(output);
      if (bindRace && attempt < 5) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  return {
    url: urlOf(port),
    port,
    pid: () => child?.pid,
    kill: () => stop('SIGKILL'),
    restart: async () => {
      if (child) throw new Error('own postgres is still running');
      // After a SIGKILL of the postmaster its orphaned backends exit only once they notice;
      // until then the new postmaster refuses the data directory's shared memory: retry.
      const deadline = Date.now() + startTimeoutMs;
      for (;;) {
        try {
          return await start();
        } catch (err) {
          await stop('SIGKILL');
          if (!/pre-existing shared memory block|lock file .* already exists/i.test(output) || Date.now() > deadline)
            throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async dispose() {
      await stop('SIGTERM').catch(() => stop('SIGKILL'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export class PostgresStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n${output}`);
    this.name = 'PostgresStartError';
  }
}

function urlOf(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

function runAsUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error('running as root and there is no `postgres` user to run initdb as (install postgresql-15)');
  return { uid, gid };
}
