import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import {
  createTestDatabase,
  freePort,
  natsServerProcess,
  type NatsServerProcess,
  type TestDatabase,
} from '@flotilla/testing';
import { eventually, startProcess, type RunningProcess } from './registration-harness';

/**
 * `flotilla-hub nats init` as a person runs it: the command writes the keys and a
 * nats-server configuration; a nats-server 2.9 started from that file alone, a hub started
 * from the printed settings alone, and an agent registering against them.
 */
const hubEntry = 'services/hub/src/main.ts';
const root = path.resolve(__dirname, '../..');
const sourceArgs = ['--conditions=flotilla-source', '-r', path.join(root, 'tools/register.js')];

function readEnvFile(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function snapshot(dir: string): Record<string, { mode: number; content: string }> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => statSync(path.join(dir, f)).isFile())
      .map((f) => [
        f,
        { mode: statSync(path.join(dir, f)).mode & 0o777, content: readFileSync(path.join(dir, f), 'utf8') },
      ]),
  );
}

describe('flotilla-hub nats init', () => {
  let dir: string;
  let database: TestDatabase;
  let nats: NatsServerProcess | undefined;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'flotilla-nats-init-'));
    database = await createTestDatabase('nats_init');
  });
  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await nats?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const proc = startProcess(hubEntry, args, {}, 'nats-init');
    processes.push(proc);
    const code = await proc.exited;
    if (code !== 0) throw new Error(`nats init exited with ${code}:\n${proc.output()}`);
    return proc.output();
  };

  it('is idempotent, keeps keys 0600, and a hub and an agent work against a nats-server run only from its config', async () => {
    const keys = path.join(dir, 'keys');
    const port = await freePort();
    const args = ['nats', 'init', '--dir', keys, '--listen', `127.0.0.1:${port}`];
    const first = await run(args);
    expect(first).toContain('created NATS operator, account and system keys');
    const before = snapshot(keys);
    const second = await run(args);
    expect(second).toContain('reusing the NATS keys');
    expect(snapshot(keys)).toEqual(before);
    for (const file of [
      'setup.json',
      'operator.seed',
      'account.seed',
      'system.creds',
      'hub.creds',
      'signing.key',
      'hub.env',
    ])
      expect([file, before[file]?.mode]).toEqual([file, 0o600]);
    // The server config holds public JWTs only.
    expect(before['nats.conf']?.content).not.toMatch(/\bS[OAU][A-Z2-7]{56}\b/);

    const env = readEnvFile(path.join(keys, 'hub.env'));
    expect(Object.keys(env).sort()).toEqual([
      'FLOTILLA_HUB_NATS_ACCOUNT_NAME',
      'FLOTILLA_HUB_NATS_ACCOUNT_SEED_FILE',
      'FLOTILLA_HUB_NATS_CREDS_FILE',
      'FLOTILLA_HUB_NATS_OPERATOR_SEED_FILE',
      'FLOTILLA_HUB_NATS_SYSTEM_CREDS_FILE',
      'FLOTILLA_HUB_NATS_URL',
      'FLOTILLA_HUB_SIGNING_KEY_FILE',
    ]);
    nats = natsServerProcess(
      path.join(keys, 'nats.conf'),
      env.FLOTILLA_HUB_NATS_URL!,
      readFileSync(env.FLOTILLA_HUB_NATS_CREDS_FILE!, 'utf8'),
    );
    await nats.start();

    const httpPort = await freePort();
    const adminToken = `nats-init-${randomBytes(24).toString('hex')}`;
    const hub = startProcess(
      hubEntry,
      [],
      {
        ...env,
        FLOTILLA_HUB_DATABASE_URL: database.url,
        FLOTILLA_HUB_HTTP_HOST: '127.0.0.1',
        FLOTILLA_HUB_HTTP_PORT: String(httpPort),
        FLOTILLA_HUB_ADMIN_TOKEN: adminToken,
        FLOTILLA_HUB_GIT_DATA_DIR: path.join(dir, 'git'),
        FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS: '500',
      },
      'hub',
    );
    processes.push(hub);
    await hub.waitFor(/hub listening on/, 90_000);
    const api = async (method: string, urlPath: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${httpPort}${urlPath}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const created = await api('POST', '/api/v1/registration-tokens', {});
    expect(created.status).toBe(201);
    const bootstrapCreds = path.join(dir, 'bootstrap.creds');
    writeFileSync(bootstrapCreds, created.body.bootstrapCreds as string, { mode: 0o600 });

    const agent = startProcess(
      'services/agent/src/main.ts',
      [
        '--nats-url',
        env.FLOTILLA_HUB_NATS_URL!,
        '--credentials-file',
        path.join(dir, 'agent.creds.json'),
        '--cluster-name',
        'nats-init-1',
        '--bootstrap-creds',
        bootstrapCreds,
        '--heartbeat-interval-ms',
        '500',
      ],
      { FLOTILLA_AGENT_TOKEN: created.body.token as string },
      'agent',
    );
    processes.push(agent);
    const cluster = await eventually(
      async () => {
        const list = await api('GET', '/api/v1/clusters');
        const items = list.body.items as Array<{ name: string; state: string }>;
        return items.find((c) => c.name === 'nats-init-1' && c.state === 'connected');
      },
      60_000,
      'the agent registered and online',
    );
    expect(cluster.name).toBe('nats-init-1');
  }, 180_000);

  it('prints the same keys as Kubernetes Secrets for kubectl apply', async () => {
    const keys = path.join(dir, 'k8s');
    const runStdout = async () =>
      (
        await promisify(execFile)(
          process.execPath,
          [
            ...sourceArgs,
            path.join(root, hubEntry),
            'nats',
            'init',
            '--dir',
            keys,
            '--kubernetes-secrets',
            '--namespace',
            'hub-ns',
          ],
          { cwd: root, env: { PATH: process.env.PATH ?? '' } },
        )
      ).stdout;
    const out = await runStdout();
    const docs = out.split(/^---$/m).map((d) => parse(d));
    expect(docs.map((d) => [d.kind, d.metadata.name, d.metadata.namespace])).toEqual([
      ['Secret', 'flotilla-hub-nats', 'hub-ns'],
      ['Secret', 'flotilla-nats-config', 'hub-ns'],
    ]);
    expect(Object.keys(docs[0].stringData).sort()).toEqual([
      'account.seed',
      'hub.creds',
      'operator.seed',
      'signing.key',
      'system.creds',
    ]);
    expect(docs[1].stringData['nats.conf']).toContain('resolver_preload');
    expect(docs[1].stringData['nats.conf']).toContain('store_dir: "/data/jetstream"');
    expect(await runStdout()).toEqual(out);
  }, 60_000);
});
