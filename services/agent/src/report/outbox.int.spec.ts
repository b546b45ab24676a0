import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectTestNats, uniqueName } from '@flotilla/testing';
import { Outbox, OutboxEntryTooLargeError, OutboxFullError, OutboxLockedError, type OutboxOptions } from './index';

// Against the shared NATS (127.0.0.1:4222): each test has its own stream, subjects and directory.
let nc: NatsConnection;
let jsm: JetStreamManager;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  nc = await connectTestNats();
  jsm = await jetstreamManager(nc);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await nc?.close();
});

async function setup(
  options: Partial<OutboxOptions> = {},
): Promise<{ dir: string; prefix: string; stream: string; open: (o?: Partial<OutboxOptions>) => Promise<Outbox> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-outbox-'));
  const prefix = uniqueName('outbox');
  const stream = uniqueName('OUTBOX');
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => jsm.streams.delete(stream));
  const open = async (more: Partial<OutboxOptions> = {}): Promise<Outbox> => {
    const outbox = await Outbox.open({ dir, backoffMaxMs: 1_000, ...options, ...more });
    cleanups.push(() => outbox.close());
    return outbox;
  };
  return { dir, prefix, stream, open };
}

async function readStream(
  stream: string,
): Promise<
  { msgId: string | undefined; subject: string; data: string; header: (name: string) => string | undefined }[]
> {
  const info = await jsm.streams.info(stream);
  const out = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (!m) throw new Error(`stream ${stream} has no message ${seq}`);
    out.push({
      msgId: m.header?.get('Nats-Msg-Id'),
      subject: m.subject,
      data: new TextDecoder().decode(m.data),
      header: (name: string) => m.header?.get(name),
    });
  }
  return out;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('Outbox against the shared NATS', () => {
  it('publishes 100 enqueued messages once each, in order, with their headers', async () => {
    const { prefix, stream, open } = await setup();
    const outbox = await open();
    // Concurrent enqueues share fsyncs (group commit) yet keep their call order.
    const seqs = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        outbox.enqueue({
          subject: `${prefix}.c1.sync`,
          msgId: `m-${i}`,
          payload: text(`sync ${i}`),
          headers: { 'Flotilla-Test': [`h${i}`, 'second'] },
        }),
      ),
    );
    expect(seqs.map((s) => s.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(outbox.pending().entries).toBe(100);

    outbox.start(nc);
    await outbox.flush({ timeoutMs: 20_000 });

    const messages = await readStream(stream);
    expect(messages.map((m) => m.msgId)).toEqual(Array.from({ length: 100 }, (_, i) => `m-${i}`));
    expect(messages.map((m) => m.data)).toEqual(Array.from({ length: 100 }, (_, i) => `sync ${i}`));
    expect(messages[42]!.header('Flotilla-Test')).toBe('h42');
    expect(outbox.pending()).toMatchObject({ entries: 0, bytes: 0, inFlight: false, ackedSeq: 100 });
    expect(outbox.stats()).toMatchObject({ published: 100, duplicates: 0 });

    // Enqueued after start: picked up without another nudge.
    await outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'm-100', payload: text('late') });
    await outbox.flush({ timeoutMs: 20_000 });
    expect((await readStream(stream)).map((m) => m.msgId).at(-1)).toBe('m-100');
  });

  it('evicts the oldest heartbeats when full, then refuses with OutboxFullError rather than drop a sync report', async () => {
    const { prefix, stream, open } = await setup({ maxEntries: 5 });
    const outbox = await open();
    const sync = (i: number) =>
      outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: `sync-${i}`, payload: text(`sync ${i}`) });
    await outbox.enqueue({
      subject: `${prefix}.c1.heartbeat`,
      msgId: 'hb-a',
      payload: text('a'),
      coalesceKey: 'heartbeat-a',
    });
    await sync(1);
    await outbox.enqueue({
      subject: `${prefix}.c1.heartbeat`,
      msgId: 'hb-b',
      payload: text('b'),
      coalesceKey: 'heartbeat-b',
    });
    await sync(2);
    await sync(3);
    await sync(4); // evicts hb-a
    await sync(5); // evicts hb-b
    expect(outbox.pending()).toMatchObject({ entries: 5, coalescible: 0 });
    expect(outbox.stats()).toMatchObject({ evicted: 2, coalesced: 0 });

    const refused = await sync(6).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(OutboxFullError);
    expect((refused as OutboxFullError).retryable).toBe(true);
    // A heartbeat cannot push out a sync report either.
    await expect(
      outbox.enqueue({
        subject: `${prefix}.c1.heartbeat`,
        msgId: 'hb-c',
        payload: text('c'),
        coalesceKey: 'heartbeat-a',
      }),
    ).rejects.toBeInstanceOf(OutboxFullError);
    expect(outbox.pending().entries).toBe(5);

    outbox.start(nc);
    await outbox.flush({ timeoutMs: 20_000 });
    expect((await readStream(stream)).map((m) => m.msgId)).toEqual(['sync-1', 'sync-2', 'sync-3', 'sync-4', 'sync-5']);
    // Room again once acknowledged.
    await sync(6);
  });

  it('refuses by bytes too, and refuses one message too large to ever publish', async () => {
    const { prefix, open } = await setup({ maxBytes: 2_000, maxEntryBytes: 1_500 });
    const outbox = await open();
    await outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'big-1', payload: new Uint8Array(1_200) });
    await expect(
      outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'big-2', payload: new Uint8Array(1_200) }),
    ).rejects.toBeInstanceOf(OutboxFullError);
    await expect(
      outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'huge', payload: new Uint8Array(1_501) }),
    ).rejects.toBeInstanceOf(OutboxEntryTooLargeError);
    expect(outbox.pending().entries).toBe(1);
  });

  it('drops a torn last record on open and keeps the rest intact', async () => {
    const { dir, prefix, stream, open } = await setup();
    const first = await open();
    for (let i = 0; i < 5; i++)
      await first.enqueue({ subject: `${prefix}.c1.sync`, msgId: `m-${i}`, payload: text(`sync ${i}`) });
    await first.close();

    const journal = readdirSync(dir).find((n) => n.endsWith('.log'))!;
    const file = path.join(dir, journal);
    const size = statSync(file).size;
    truncateSync(file, size - 3); // the crash hit while m-4 was being written

    const second = await open();
    expect(second.recovered.entries).toBe(4);
    expect(second.recovered.tornBytes).toBeGreaterThan(0);
    expect(statSync(file).size).toBe(size - 3 - second.recovered.tornBytes);
    await second.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'm-5', payload: text('sync 5') });
    second.start(nc);
    await second.flush({ timeoutMs: 20_000 });
    const messages = await readStream(stream);
    expect(messages.map((m) => m.msgId)).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-5']);
    expect(messages.map((m) => m.data)).toEqual(['sync 0', 'sync 1', 'sync 2', 'sync 3', 'sync 5']);
    await second.close();

    // The truncated file is a clean log again: a third open finds nothing torn and nothing pending.
    const third = await open();
    expect(third.recovered).toEqual({ entries: 0, tornBytes: 0 });
  });

  it('compacts the journal once acknowledged, so the disk use stays bounded', async () => {
    const compactMinBytes = 16 * 1024;
    const { dir, prefix, stream, open } = await setup({ compactMinBytes });
    const outbox = await open();
    outbox.start(nc);
    const payload = new Uint8Array(500).fill(7);
    let maxDirBytes = 0;
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          outbox.enqueue({ subject: `${prefix}.c1.sync`, msgId: `m-${round}-${i}`, payload }),
        ),
      );
      await outbox.flush({ timeoutMs: 20_000 });
      maxDirBytes = Math.max(maxDirBytes, dirBytes(dir));
    }
    // 400 messages of ~600 framed bytes (240 KB) went through; the journal never held more
    // than the threshold plus one round and the acks.
    expect((await jsm.streams.info(stream)).state.messages).toBe(400);
    expect(maxDirBytes).toBeLessThan(compactMinBytes + 40 * 700 + 40 * 50);
    const journals = readdirSync(dir).filter((n) => n.endsWith('.log'));
    expect(journals).toHaveLength(1);
    expect(journals[0]).not.toBe('journal-0000000001.log');
    await outbox.close();

    const reopened = await open();
    expect(reopened.recovered.entries).toBe(0);
    expect(reopened.pending().ackedSeq).toBe(400);
    expect((await reopened.enqueue({ subject: `${prefix}.c1.sync`, msgId: 'after', payload })).seq).toBe(401);
  });

  it('refuses a second outbox on the same directory', async () => {
    const { open } = await setup();
    await open();
    await expect(open()).rejects.toBeInstanceOf(OutboxLockedError);
  });
});

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, name) => n + statSync(path.join(dir, name)).size, 0);
}
