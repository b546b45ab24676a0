import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { accountLimits, createNatsOperatorSetup, natsServerConfig, type NatsIdentity } from '@flotilla/contracts';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { freePort } from './ports';

/** How long a started nats-server may take to answer (a busy CI machine is slow). */
const natsReadyTimeoutMs = 60_000;

export class NatsStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n${output}`);
    this.name = 'NatsStartError';
  }
}

/** Where the Debian package installs it; FLOTILLA_TEST_NATS_SERVER overrides. */
export const natsServerBinary = process.env.FLOTILLA_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

/** The application account's limits (the same the hub's account claims carry). */
export const testAccountLimits = accountLimits;

export type { NatsIdentity };

export interface OperatorModeNats {
  url: string;
  port: number;
  operator: NatsIdentity;
  /** The account agents and the hub live in, with JetStream enabled. */
  account: NatsIdentity;
  /** The system account (`$SYS` requests such as account claim updates). */
  systemAccount: NatsIdentity;
  /** Creds file text of a system-account user (what the hub uses to push account updates). */
  systemUserCreds: string;
  /** Creds file text of an unrestricted user of `account` (the hub's own connection). */
  hubUserCreds: string;
  /** Connects with the given creds (defaults to the hub user). */
  connect(creds?: string, options?: { name?: string; inboxPrefix?: string }): Promise<NatsConnection>;
  /** Stops the server, keeping its store (a later `restart()` sees the same state). */
  stop(): Promise<void>;
  /** SIGKILLs the server (no flush, no goodbye), keeping its store; resolves when it exited. */
  kill(): Promise<void>;
  /** Starts the server again on the same port with the same config. */
  restart(): Promise<void>;
  /** Stops it and deletes its store. */
  dispose(): Promise<void>;
}

/** A nats-server process run from a configuration file, ready once JetStream answers `creds`. */
export interface NatsServerProcess {
  start(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

export function natsServerProcess(configFile: string, url: string, creds: string): NatsServerProcess {
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const proc = spawn(natsServerBinary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const spawnError = new Promise<never>((_, reject) =>
      proc.once('error', (err) =>
        reject(
          new Error(
            `cannot start ${natsServerBinary}: ${err.message}. Install the Debian package nats-server (or set FLOTILLA_TEST_NATS_SERVER).`,
            { cause: err },
          ),
        ),
      ),
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}:\n${output}`);
      try {
        const nc = await Promise.race([
          connect({
            servers: url,
            authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
            timeout: 1000,
            reconnect: false,
          }),
          spawnError,
        ]);
        // JetStream answers a little after the listener opens.
        await nc.request('$JS.API.INFO', undefined, { timeout: 1000 });
        await nc.close();
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`nats-server did not become ready on ${url}: ${(err as Error).message}\n${output}`, {
            cause: err,
          });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killTimer);
  }

  return { start, stop, output: () => output };
}

/**
 * Starts a nats-server of its own in operator (JWT) mode on a free port with a temp store.
 * The memory resolver is preloaded with the system and application accounts; account
 * updates (revocations) are pushed over `$SYS.REQ.ACCOUNT.<id>.CLAIMS.UPDATE`: the
 * configuration `flotilla-hub nats init` writes for production, on a free port.
 */
export async function startOperatorModeNats(
  options: {
    name?: string;
    /**
     * The address it listens on (and that `url` names); 127.0.0.1 by default. A test that puts
     * an agent in a network namespace gives the host end of its veth pair, so the agent can reach it.
     */
    host?: string;
  } = {},
): Promise<OperatorModeNats> {
  const host = options.host ?? '127.0.0.1';
  const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-nats-'));
  // The same set-up and configuration `flotilla-hub nats init` writes, on a free port.
  const setup = await createNatsOperatorSetup({ operatorName: 'flotilla-test-operator' });
  const hubUserCreds = setup.hubUserCreds;
  let port = await freePort();
  const configFile = path.join(dir, 'nats.conf');
  const writeConfig = () =>
    writeFileSync(
      configFile,
      natsServerConfig(setup, {
        listen: `${host}:${port}`,
        serverName: options.name ?? `flotilla-test-${port}`,
        storeDir: path.join(dir, 'js'),
        maxMemoryStore: '64MB',
        maxFileStore: '256MB',
      }),
    );
  writeConfig();

  let url = `nats://${host}:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const proc = spawn(natsServerBinary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const spawnError = new Promise<never>((_, reject) =>
      proc.once('error', (err) =>
        reject(
          new Error(
            `cannot start ${natsServerBinary}: ${err.message}. Install the Debian package nats-server (or set FLOTILLA_TEST_NATS_SERVER).`,
            { cause: err },
          ),
        ),
      ),
    );
    // Generous: on a loaded machine the first connections can fail with `write EPIPE`,
    // `Authentication Timeout` or a timeout while the server is still starting; all retried.
    const deadline = Date.now() + natsReadyTimeoutMs;
    for (;;) {
      if (proc.exitCode !== null) throw new NatsStartError(`nats-server exited with ${proc.exitCode}`, output);
      let nc: NatsConnection | undefined;
      try {
        nc = await Promise.race([
          connect({
            servers: url,
            authenticator: credsAuthenticator(new TextEncoder().encode(hubUserCreds)),
            timeout: 2000,
            reconnect: false,
          }),
          spawnError,
        ]);
        // JetStream answers a little after the listener opens.
        await nc.request('$JS.API.INFO', undefined, { timeout: 2000 });
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new NatsStartError(
            `nats-server did not become ready on ${url} within ${natsReadyTimeoutMs} ms (waiting for a connection and $JS.API.INFO): ${(err as Error).message}`,
            output,
          );
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await nc?.close().catch(() => undefined);
      }
    }
  }

  async function stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killTimer);
  }

  // The port was free a moment ago; another process may bind it first: retry on a fresh one.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      await stop();
      if (attempt < 5 && /address already in use/i.test(output)) {
        port = await freePort();
        url = `nats://${host}:${port}`;
        writeConfig();
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  return {
    url,
    port,
    operator: setup.operator,
    account: setup.account,
    systemAccount: setup.systemAccount,
    systemUserCreds: setup.systemUserCreds,
    hubUserCreds,
    connect(creds = hubUserCreds, opts = {}) {
      return connect({
        servers: url,
        authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
        timeout: 3000,
        reconnect: false,
        ...opts,
      });
    },
    stop: () => stop(),
    kill: () => stop('SIGKILL'),
    restart: start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
