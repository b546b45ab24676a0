import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPostgresEventStore, type PostgresEventStore, type RecordedEvent } from '@flotilla/event-store';
import {
  createTestDatabase,
  freePort,
  startOperatorModeNats,
  type OperatorModeNats,
  type TestDatabase,
} from '@flotilla/testing';
import { NatsAuthority } from '../../services/hub/src/nats/nats-authority';

/**
 * Real processes for the registration and liveness end-to-end tests: a nats-server in
 * operator mode, a fresh Postgres database, the hub (services/hub/src/main.ts) and agents
 * (services/agent/src/main.ts), each started from source as a separate process.
 */
const root = path.resolve(__dirname, '../..');
const adminToken = `e2e-admin-${randomBytes(24).toString('hex')}`;

export interface RunningProcess {
  readonly proc: ChildProcess;
  output(): string;
  /** Resolves when the output matches; rejects with the output so far on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it lingers. */
  stop(): Promise<number | string>;
}

export function startProcess(
  entry: string,
  args: string[],
  env: Record<string, string>,
  label: string,
  /** A command the process runs under, e.g. `['ip', 'netns', 'exec', name]` (it must exec, not fork). */
  wrapper: string[] = [],
): RunningProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // Jest's VM-modules flag is for Jest itself, not for the processes under test.
  delete childEnv.NODE_OPTIONS;
  const command = [
    process.execPath,
    '--conditions=flotilla-source',
    '-r',
    path.join(root, 'tools/register.js'),
    path.join(root, entry),
    ...args,
  ];
  const proc = spawn(
    wrapper.length > 0 ? wrapper[0]! : command[0]!,
    wrapper.length > 0 ? [...wrapper.slice(1), ...command] : command.slice(1),
    {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    if (process.env.FLOTILLA_E2E_VERBOSE) process.stderr.write(`[${label}] ${d.toString()}`);
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const l of listeners) l();
  });
  return {
    proc,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            cleanup();
            resolve();
          } else if (ended) {
            cleanup();
            reject(new Error(`${label} exited before printing ${pattern}:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${label} did not print ${pattern} within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!ended) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

export interface Fleet {
  nats: OperatorModeNats;
  database: TestDatabase;
  store: PostgresEventStore;
  hub: RunningProcess;
  hubUrl: string;
  dir: string;
  bootstrapCredsFile: string;
  authority: NatsAuthority;
  heartbeatIntervalMs: number;
  /** The bootstrap admin API token the hub was started with (for requests `api` cannot make). */
  adminToken: string;
  startHub(): Promise<void>;
  /** Another hub process on the same database and NATS (a replica), on its own port. */
  startHubReplica(): Promise<RunningProcess>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the JSON answers field by field
  api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }>;
  createToken(body?: unknown): Promise<string>;
  /**
   * An agent process. With `kubeconfig` it reconciles that cluster while keeping its
   * credentials in `credentialsFile`; without, it only registers and reports liveness.
   */
  startAgent(options: {
    name: string;
    token?: string;
    credentialsFile: string;
    kubeconfig?: string;
    extraArgs?: string[];
    /** Runs it inside this network namespace (`ip netns exec`), reaching NATS at `natsUrl`. */
    netns?: string;
    /** The NATS URL the agent is given; the fleet's own by default. */
    natsUrl?: string;
  }): RunningProcess;
  events(options?: { streamPrefix?: string; types?: string[] }): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

export async function startFleet(
  options: {
    heartbeatIntervalMs?: number;
    missedHeartbeats?: number;
    /** More FLOTILLA_HUB_* settings for the hub process (and its replicas). */
    hubEnv?: Record<string, string>;
    /** A database the test provides (e.g. on a Postgres it owns and kills); a fresh one on the shared server otherwise. */
    database?: TestDatabase;
    /** The address the fleet's NATS listens on (default 127.0.0.1): a veth host address for agents in a network namespace. */
    natsHost?: string;
  } = {},
): Promise<Fleet> {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 500;
  const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-e2e-'));
  const nats = await startOperatorModeNats(options.natsHost ? { host: options.natsHost } : {});
  const database = options.database ?? (await createTestDatabase('e2e'));
  const signingKey = randomBytes(32).toString('base64url');
  const authority = new NatsAuthority({
    operatorSeed: nats.operator.seed,
    accountSeed: nats.account.seed,
    accountName: 'FLOTILLA',
    signingKeySeed: Buffer.from(signingKey, 'base64url'),
  });
  const bootstrapCredsFile = path.join(dir, 'bootstrap.creds');
  writeFileSync(bootstrapCredsFile, await authority.bootstrapCreds(), { mode: 0o600 });
  const port = await freePort();
  const hubUrl = `http://127.0.0.1:${port}`;
  const hubEnv = {
    FLOTILLA_HUB_DATABASE_URL: database.url,
    FLOTILLA_HUB_HTTP_HOST: '127.0.0.1',
    FLOTILLA_HUB_HTTP_PORT: String(port),
    FLOTILLA_HUB_ADMIN_TOKEN: adminToken,
    FLOTILLA_HUB_NATS_URL: nats.url,
    FLOTILLA_HUB_NATS_OPERATOR_SEED: nats.operator.seed,
    FLOTILLA_HUB_NATS_ACCOUNT_SEED: nats.account.seed,
    FLOTILLA_HUB_NATS_SYSTEM_CREDS: nats.systemUserCreds,
    FLOTILLA_HUB_SIGNING_KEY: signingKey,
    FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS: String(heartbeatIntervalMs),
    FLOTILLA_HUB_MISSED_HEARTBEATS: String(options.missedHeartbeats ?? 3),
    // The hub's git mirrors go in this fleet's temp dir, not in the checkout (the default is relative).
    FLOTILLA_HUB_GIT_DATA_DIR: path.join(dir, 'git'),
    ...options.hubEnv,
  };
  const store = await createPostgresEventStore({ url: database.url, poolSize: 2 });
  const agents: RunningProcess[] = [];
  const replicas: RunningProcess[] = [];

  const fleet: Fleet = {
    nats,
    database,
    store,
    hub: undefined as unknown as RunningProcess,
    hubUrl,
    dir,
    bootstrapCredsFile,
    authority,
    heartbeatIntervalMs,
    adminToken,
    async startHub() {
      fleet.hub = startProcess('services/hub/src/main.ts', [], hubEnv, 'hub');
      await fleet.hub.waitFor(/hub listening on/, 90_000);
    },
    async startHubReplica() {
      const replica = startProcess(
        'services/hub/src/main.ts',
        [],
        { ...hubEnv, FLOTILLA_HUB_HTTP_PORT: String(await freePort()) },
        'hub-replica',
      );
      replicas.push(replica);
      await replica.waitFor(/hub listening on/, 90_000);
      return replica;
    },
    async api(method, urlPath, body) {
      const response = await fetch(`${hubUrl}${urlPath}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async createToken(body = {}) {
      const { status, body: created } = await fleet.api('POST', '/api/v1/registration-tokens', body);
      if (status !== 201 && status !== 200)
        throw new Error(`creating a registration token failed: ${status} ${JSON.stringify(created)}`);
      // The hub hands out the bootstrap creds with the token: the same user (seed) as the one
      // the agents of this fleet are started with (the JWT differs by its issue time).
      const seedOf = (creds: string) => /SU[A-Z2-7]{56}/.exec(creds)?.[0];
      if (
        !seedOf(created.bootstrapCreds ?? '') ||
        seedOf(created.bootstrapCreds) !== seedOf(readFileSync(bootstrapCredsFile, 'utf8'))
      )
        throw new Error('the registration token response did not carry the bootstrap creds of this hub');
      return created.token as string;
    },
    startAgent({ name, token, credentialsFile, kubeconfig, extraArgs = [], netns, natsUrl }) {
      const agent = startProcess(
        'services/agent/src/main.ts',
        [
          '--nats-url',
          natsUrl ?? nats.url,
          '--credentials-file',
          credentialsFile,
          '--heartbeat-interval-ms',
          String(heartbeatIntervalMs),
          ...(token !== undefined ? ['--cluster-name', name, '--bootstrap-creds', bootstrapCredsFile] : []),
          ...(kubeconfig !== undefined ? ['--kubeconfig', kubeconfig] : []),
          ...extraArgs,
        ],
        token !== undefined ? { FLOTILLA_AGENT_TOKEN: token } : {},
        `agent ${name}`,
        netns !== undefined ? ['ip', 'netns', 'exec', netns] : [],
      );
      agents.push(agent);
      return agent;
    },
    events({ streamPrefix, types } = {}) {
      return store.readAll({ ...(streamPrefix ? { streamPrefix } : {}), ...(types ? { types } : {}), limit: 1000 });
    },
    async close() {
      await Promise.allSettled(agents.map((a) => a.stop()));
      await Promise.allSettled([fleet.hub?.stop(), ...replicas.map((r) => r.stop())]);
      await store.close().catch(() => undefined);
      await nats.dispose();
      await database.drop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await fleet.startHub();
  } catch (err) {
    await fleet.close();
    throw err;
  }
  return fleet;
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
