import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import {
  createTestDatabase,
  freePort,
  startOperatorModeNats,
  type OperatorModeNats,
  type TestDatabase,
} from '@flotilla/testing';

/**
 * The hub as people run it: a separate process started from source, migrating a fresh
 * database, connecting to an operator-mode NATS, serving the REST API, and exiting 0 on
 * SIGTERM. (Registration, liveness and revocation across processes are in registration*
 * and liveness* specs.)
 */
const root = path.resolve(__dirname, '../..');
const startTimeoutMs = 60_000;

function startHub(env: Record<string, string>, args: string[] = []): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(
    process.execPath,
    [
      '--conditions=flotilla-source',
      '-r',
      path.join(root, 'tools/register.js'),
      path.join(root, 'services/hub/src/main.ts'),
      ...args,
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });

async function waitForHttp(
  url: string,
  isUp: (status: number) => boolean,
  hub: { child: ChildProcess; output: () => string },
): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (hub.child.exitCode !== null) throw new Error(`hub exited with ${hub.child.exitCode}:\n${hub.output()}`);
    try {
      const res = await fetch(url);
      if (isUp(res.status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`hub not up at ${url} within ${startTimeoutMs} ms:\n${hub.output()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the time the output first matched; fails naming what it waited for. */
async function waitForOutput(
  hub: { child: ChildProcess; output: () => string },
  pattern: RegExp,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(hub.output())) {
    if (Date.now() > deadline)
      throw new Error(
        `hub did not print ${pattern} within ${timeoutMs} ms (exit ${hub.child.exitCode}):\n${hub.output()}`,
      );
    await sleep(50);
  }
  return Date.now();
}

describe('hub process', () => {
  let nats: OperatorModeNats;
  let database: TestDatabase;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    nats = await startOperatorModeNats({ name: 'hub-process' });
    database = await createTestDatabase('hub_process');
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await nats?.dispose();
    await database?.drop();
  });

  const hubEnv = (port: number, adminToken = randomBytes(24).toString('base64url')) => ({
    FLOTILLA_HUB_DATABASE_URL: database.url,
    FLOTILLA_HUB_HTTP_HOST: '127.0.0.1',
    FLOTILLA_HUB_HTTP_PORT: String(port),
    FLOTILLA_HUB_ADMIN_TOKEN: `bootstrap-${adminToken}`,
    FLOTILLA_HUB_NATS_URL: nats.url,
    FLOTILLA_HUB_NATS_OPERATOR_SEED: nats.operator.seed,
    FLOTILLA_HUB_NATS_ACCOUNT_SEED: nats.account.seed,
    FLOTILLA_HUB_NATS_SYSTEM_CREDS: nats.systemUserCreds,
    FLOTILLA_HUB_SIGNING_KEY: randomBytes(32).toString('base64url'),
  });

  it('serves, is ready with Postgres and NATS, creates an admin token once, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const adminToken = randomBytes(24).toString('base64url');
    const env = hubEnv(port, adminToken);

    const created = startHub(env, ['create-admin-token', '--name', 'first-admin']);
    children.push(created.child);
    expect(await exited(created.child)).toBe(0);
    const printed = created.output().match(/flt_api_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/)?.[0];
    expect(printed).toBeDefined();

    const hub = startHub(env);
    children.push(hub.child);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/readyz`, (s) => s === 200, hub);
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { checks: { name: string; ok: boolean }[] };
    expect(ready.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['postgres', true],
      ['nats', true],
    ]);

    // Both the printed token and the bootstrap token from the environment work; secrets stay out of the output.
    const asPrinted = await fetch(`${base}/api/v1/registration-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${printed}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(asPrinted.status).toBe(201);
    const list = await fetch(`${base}/api/v1/clusters`, {
      headers: { authorization: `Bearer bootstrap-${adminToken}` },
    });
    expect(list.status).toBe(200);
    expect(hub.output()).not.toContain(adminToken);
    expect(hub.output()).not.toContain(nats.account.seed);

    hub.child.kill('SIGTERM');
    expect(await exited(hub.child)).toBe(0);
  }, 120_000);

  it('exits non-zero within 10 s when its HTTP port is taken (a supervisor can restart it)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const hub = startHub(hubEnv(port));
      children.push(hub.child);
      // Start-up (compiling, migrating, connecting) takes its own time on a busy machine; the
      // bound is on what follows the failed bind, which the hub reports first.
      const failed = await waitForOutput(hub, /EADDRINUSE/, startTimeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited(hub.child),
        new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 10 s'), 10_000))),
      ]).finally(() => clearTimeout(timer));
      expect(code).toBe(1);
      expect(Date.now() - failed).toBeLessThan(10_000);
      // It cleaned up rather than being cut off by its own shutdown deadline.
      expect(hub.output()).not.toContain('shutdown did not finish');
    } finally {
      taken.close();
    }
  }, 120_000);

  it('refuses to start with a clear message naming a bad variable', async () => {
    const hub = startHub({ FLOTILLA_HUB_DATABASE_URL: 'mysql://nope', FLOTILLA_HUB_HTTP_PORT: '99999' });
    children.push(hub.child);
    expect(await exited(hub.child)).toBe(1);
    expect(hub.output()).toContain('FLOTILLA_HUB_DATABASE_URL');
    expect(hub.output()).toContain('FLOTILLA_HUB_HTTP_PORT');
  }, 60_000);
});
