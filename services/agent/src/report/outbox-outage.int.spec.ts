import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, uniqueName } from '@flotilla/testing';
import { Outbox, OutboxPublishError, type OutboxPublishTarget } from './index';

// Each test runs its own nats-server (JetStream, file store in a temp dir) so it can kill
// it and bring it back on the same port and store.
const natsServerBinary = process.env.FLOTILLA_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

class NatsServerProcess {
  private child: ChildProcess | undefined;
  private output = '';
  readonly url: string;

  constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(natsServerBinary, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (spawnError) {
        throw new Error(
          `cannot start ${natsServerBinary}: ${spawnError.message}. Install the Debian package nats-server (or set FLOTILLA_TEST_NATS_SERVER).`,
          { cause: spawnError },
        );
      }
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}:\n${this.output}`);
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 1_000 });
        try {
          // JetStream answers a little after the listener opens (and after recovering the store).
          await nc.request('$JS.API.INFO', undefined, { timeout: 1_000 });
        } finally {
          await nc.close();
        }
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(
            `nats-server did not become ready on ${this.url}: ${(err as Error).message}\n${this.output}`,
            { cause: err },
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** SIGKILL by default: the crash case, nothing flushed or said goodbye. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

interface Harness {
  server: NatsServerProcess;
  dir: string;
  prefix: string;
  stream: string;
  /** Connects the way the agent does: reconnecting forever. */
  agentConnection(): Promise<NatsConnection>;
  readStream(): Promise<{ msgId: string | undefined; data: string }[]>;
  defer(cleanup: () => Promise<unknown> | unknown): void;
}

async function withHarness(test: (h: Harness) => Promise<void>): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'flotilla-outbox-outage-'));
  const server = new NatsServerProcess(await freePort(), path.join(root, 'js'));
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  try {
    await server.start();
    const prefix = uniqueName('outbox');
    const stream = uniqueName('OUTBOX');
    const admin = await connect({ servers: server.url, reconnect: false });
    await (await jetstreamManager(admin)).streams.add({ name: stream, subjects: [`${prefix}.>`] });
    await admin.close();
    await test({
      server,
      dir: path.join(root, 'state'),
      prefix,
      stream,
      async agentConnection() {
        const nc = await connect({
          servers: server.url,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 100,
          timeout: 3_000,
        });
        cleanups.push(() => nc.close());
        return nc;
      },
      async readStream() {
        const nc = await connect({ servers: server.url, reconnect: false });
        try {
          const jsm = await jetstreamManager(nc);
          const info = await jsm.streams.info(stream);
          const out = [];
          for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
            const m = await jsm.streams.getMessage(stream, { seq });
            out.push({ msgId: m?.header?.get('Nats-Msg-Id'), data: new TextDecoder().decode(m?.data) });
          }
          return out;
        } finally {
          await nc.close();
        }
      },
      defer: (cleanup) => cleanups.push(cleanup),
    });
  } finally {
    for (const cleanup of cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    await server.kill();
    rmSync(root, { recursive: true, force: true });
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function disconnected(nc: NatsConnection): Promise<void> {
  return (async () => {
    for await (const s of nc.status()) if (s.type === 'disconnect') return;
  })();
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const ids = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${from + i}`);

describe('Outbox through NATS outages', () => {
  it('delivers every message exactly once across a server crash, the lost-ack resend deduplicated by msg id', async () => {
    await withHarness(async ({ server, dir, prefix, agentConnection, readStream, defer }) => {
      const nc = await agentConnection();
      const errors: OutboxPublishError[] = [];
      const outbox = await Outbox.open({
        dir,
        backoffMaxMs: 1_000,
        publishTimeoutMs: 2_000,
        onError: (e) => e instanceof OutboxPublishError && errors.push(e),
      });
      defer(() => outbox.close());

      // The server stores m-10 and then dies before its PubAck reaches us: the outbox must
      // resend it, and the stream must recognise the resend by its msg id.
      const real = jetstream(nc);
      const acks: { msgId: string; duplicate: boolean }[] = [];
      let crashAfterStoring: string | undefined;
      const target: OutboxPublishTarget = {
        async publish(subject, payload, options) {
          const ack = await real.publish(subject, payload, options);
          acks.push({ msgId: options!.msgID!, duplicate: ack.duplicate });
          if (options?.msgID === crashAfterStoring) {
            crashAfterStoring = undefined;
            await server.kill('SIGKILL');
            throw new Error('connection lost before the PubAck arrived (simulated)');
          }
          return ack;
        },
      };
      outbox.start(nc, { jetStream: target });
      const send = (id: string) =>
        outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: id, payload: text(`payload of ${id}`) });

      for (const id of ids('m', 0, 9)) await send(id);
      await outbox.flush({ timeoutMs: 20_000 });

      crashAfterStoring = 'm-10';
      await send('m-10');
      await waitFor('the crash after storing m-10', () => errors.length > 0);
      for (const id of ids('m', 11, 20)) await send(id);
      // Nothing can be acknowledged while the server is down: all of it waits on disk.
      expect(outbox.pending().entries).toBe(11);
      expect(outbox.pending().ackedSeq).toBe(10);

      await server.start();
      await outbox.flush({ timeoutMs: 30_000 });

      const messages = await readStream();
      expect(messages.map((m) => m.msgId)).toEqual(ids('m', 0, 20));
      expect(messages.map((m) => m.data)).toEqual(ids('m', 0, 20).map((id) => `payload of ${id}`));
      // m-10 reached the stream twice and was stored once: the server said duplicate.
      expect(acks.filter((a) => a.msgId === 'm-10')).toEqual([
        { msgId: 'm-10', duplicate: false },
        { msgId: 'm-10', duplicate: true },
      ]);
      expect(outbox.stats().duplicates).toBe(1);
      expect(errors[0]!.msgId).toBe('m-10');
      expect(errors[0]!.retryable).toBe(true);
    });
  }, 90_000);

  it('keeps what was enqueued while the server was down across an agent restart', async () => {
    await withHarness(async ({ server, dir, prefix, agentConnection, readStream, defer }) => {
      await server.kill('SIGTERM');
      const before = await Outbox.open({ dir });
      for (const id of ids('m', 0, 19))
        await before.enqueue({ subject: `${prefix}.c1.sync`, msgId: id, payload: text(id) });
      await before.enqueue({
        subject: `${prefix}.c1.heartbeat`,
        msgId: 'hb-0',
        payload: text('beat'),
        coalesceKey: 'heartbeat',
      });
      expect(before.pending().entries).toBe(21);
      await before.close(); // the agent restarts

      const after = await Outbox.open({ dir });
      defer(() => after.close());
      expect(after.recovered).toEqual({ entries: 21, tornBytes: 0 });
      await server.start();
      after.start(await agentConnection());
      await after.flush({ timeoutMs: 30_000 });
      expect((await readStream()).map((m) => m.msgId)).toEqual([...ids('m', 0, 19), 'hb-0']);
      expect(after.pending()).toMatchObject({ entries: 0, ackedSeq: 21 });
    });
  }, 90_000);

  it('coalesces heartbeats while the server is down: only the latest arrives, sync reports all do', async () => {
    await withHarness(async ({ server, dir, prefix, agentConnection, readStream, defer }) => {
      const nc = await agentConnection();
      const outbox = await Outbox.open({ dir, backoffMaxMs: 1_000, publishTimeoutMs: 2_000 });
      defer(() => outbox.close());
      outbox.start(nc);
      await outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'sync-0', payload: text('sync-0') });
      await outbox.flush({ timeoutMs: 20_000 });

      const down = disconnected(nc);
      await server.kill('SIGKILL');
      await down;
      await outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'sync-1', payload: text('sync-1') });
      for (let i = 0; i < 50; i++) {
        await outbox.enqueue({
          subject: `${prefix}.c1.heartbeat`,
          msgId: `hb-${i}`,
          payload: text(`beat ${i}`),
          coalesceKey: 'heartbeat',
        });
      }
      await outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'sync-2', payload: text('sync-2') });
      expect(outbox.pending()).toMatchObject({ entries: 3, coalescible: 1 });
      expect(outbox.stats().coalesced).toBe(49);

      await server.start();
      await outbox.flush({ timeoutMs: 30_000 });
      const messages = await readStream();
      expect(messages.map((m) => m.msgId)).toEqual(['sync-0', 'sync-1', 'hb-49', 'sync-2']);
      expect(messages[2]!.data).toBe('beat 49');
    });
  }, 90_000);

  it('stops gracefully, finishing the publish in flight, and resumes where it stopped', async () => {
    await withHarness(async ({ dir, prefix, agentConnection, readStream, defer }) => {
      const nc = await agentConnection();
      const outbox = await Outbox.open({ dir });
      defer(() => outbox.close());
      for (const id of ids('m', 0, 29))
        await outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: id, payload: text(id) });
      outbox.start(nc);
      await waitFor('a first publish', () => outbox.stats().published > 0);
      await outbox.stop();
      const stoppedAt = outbox.pending();
      expect(stoppedAt.inFlight).toBe(false);
      // Whatever was published was also acknowledged durably: the stream and the cursor agree.
      expect((await readStream()).length).toBe(stoppedAt.ackedSeq);

      outbox.start(nc);
      await outbox.flush({ timeoutMs: 20_000 });
      expect((await readStream()).map((m) => m.msgId)).toEqual(ids('m', 0, 29));
      expect(outbox.stats().duplicates).toBe(0);
    });
  }, 60_000);
});
