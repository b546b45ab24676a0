import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection, type Status } from '@nats-io/transport-node';
import { Headers } from '@flotilla/contracts';
import { backoffDelay } from '../backoff';
import { encodeFrame } from './journal-frame';
import { encodeRecord, type EntryRecord, type HeaderPairs } from './journal-record';
import { OutboxJournal } from './outbox-journal';
import { OutboxState, type PendingEntry } from './outbox-state';
import {
  OutboxClosedError,
  OutboxEntryTooLargeError,
  OutboxFlushTimeoutError,
  OutboxInvalidMessageError,
  OutboxPublishError,
  OutboxStorageError,
} from './outbox.errors';
import { outboxDurations, outboxLimits } from './outbox.limits';

export interface OutboxOptions {
  /**
   * The agent's state directory. In a cluster it is an emptyDir (survives container restarts,
   * not pod rescheduling) or a PersistentVolumeClaim (survives both); one outbox per directory.
   */
  dir: string;
  maxEntries?: number;
  maxBytes?: number;
  maxEntryBytes?: number;
  compactMinBytes?: number;
  publishTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /**
   * Told of every failed publish attempt (retried) and of a storage failure (terminal: the
   * outbox stops publishing and the agent should restart). Never throw from it.
   */
  onError?: (error: OutboxPublishError | OutboxStorageError) => void;
  /** Clock and randomness, injectable for tests. */
  now?: () => number;
  random?: () => number;
}

export interface OutboxMessage {
  subject: string;
  /** Sent as `Nats-Msg-Id`: the stream drops a resend within its duplicate window. */
  msgId: string;
  payload: Uint8Array;
  headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Heartbeats: an unsent entry with the same key is replaced, and such entries are evicted first when full. */
  coalesceKey?: string;
}

export interface OutboxPending {
  /** Entries not yet acknowledged by the stream (including the one in flight). */
  entries: number;
  bytes: number;
  /** Of which coalescible (evictable) entries. */
  coalescible: number;
  inFlight: boolean;
  /** Highest sequence acknowledged by the stream (durably). */
  ackedSeq: number;
}

export interface OutboxStats {
  published: number;
  /** PubAcks that said duplicate: the stream already had the message (a resend after a lost ack). */
  duplicates: number;
  publishFailures: number;
  coalesced: number;
  evicted: number;
}

/** What the publisher needs of JetStream; tests may wrap the real client. */
export type OutboxPublishTarget = Pick<JetStreamClient, 'publish'>;

/**
 * The agent's durable status outbox. `enqueue` resolves once the message is fsync'd to the
 * journal; the publisher sends entries strictly in order, one at a time, to JetStream with
 * their message id, and advances the ack cursor (durably) only after the PubAck, so a NATS
 * outage or an agent restart loses nothing and a resend is deduplicated by the stream.
 * Ordering beats throughput here: the hub sees a cluster's reports in the order they happened.
 */
export class Outbox {
  private readonly limits: { maxEntries: number; maxBytes: number; maxEntryBytes: number };
  private readonly durations: { publishTimeoutMs: number; backoffInitialMs: number; backoffMaxMs: number };
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly work = new Signal();
  private readonly retry = new Signal();
  private flushes: { seq: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  private loop: Promise<void> | undefined;
  private stopStatus: (() => void) | undefined;
  private stopping = false;
  private closed = false;
  private connected = false;
  private inFlight: number | undefined;
  private failure: OutboxStorageError | undefined;
  private readonly counters: OutboxStats = {
    published: 0,
    duplicates: 0,
    publishFailures: 0,
    coalesced: 0,
    evicted: 0,
  };

  private constructor(
    private readonly journal: OutboxJournal,
    private readonly state: OutboxState,
    /** What opening found: entries still to send, and bytes of a torn tail that were dropped. */
    readonly recovered: { entries: number; tornBytes: number },
    /** Made with the journal: with each entry's sequence, it orders this outbox's messages for the hub. */
    readonly epoch: string,
    private readonly options: OutboxOptions,
  ) {
    this.limits = {
      maxEntries: options.maxEntries ?? outboxLimits.maxEntries,
      maxBytes: options.maxBytes ?? outboxLimits.maxBytes,
      maxEntryBytes: options.maxEntryBytes ?? outboxLimits.maxEntryBytes,
    };
    this.durations = {
      publishTimeoutMs: options.publishTimeoutMs ?? outboxDurations.publishTimeoutMs,
      backoffInitialMs: options.backoffInitialMs ?? outboxDurations.backoffInitialMs,
      backoffMaxMs: options.backoffMaxMs ?? outboxDurations.backoffMaxMs,
    };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  static async open(options: OutboxOptions): Promise<Outbox> {
    const state = new OutboxState();
    const { journal, records, tornBytes, epoch } = await OutboxJournal.open(options.dir, {
      compactMinBytes: options.compactMinBytes ?? outboxLimits.compactMinBytes,
      liveBytes: () => state.bytes,
      snapshot: () => ({
        checkpoint: { ackedSeq: state.ackedSeq, nextSeq: state.nextSeq },
        entries: [...state.pending.values()]
          .filter((e) => e.durable)
          .map((e) => encodeFrame(encodeRecord(toRecord(e)))),
      }),
    });
    for (const { record, size } of records) state.apply(record, size);
    return new Outbox(journal, state, { entries: state.pending.size, tornBytes }, epoch, options);
  }

  /**
   * Journals a message; resolves (with its sequence) once it is on disk. Rejects with
   * `OutboxFullError` when the bounds are reached and only unevictable entries are held:
   * the caller reports it, nothing is dropped silently.
   */
  async enqueue(message: OutboxMessage): Promise<{ seq: number }> {
    this.assertUsable();
    validate(message);
    if (message.payload.length > this.limits.maxEntryBytes) {
      throw new OutboxEntryTooLargeError(message.payload.length, this.limits.maxEntryBytes);
    }
    const seq = this.state.nextSeq;
    const record: EntryRecord = {
      kind: 'entry',
      seq,
      subject: message.subject,
      msgId: message.msgId,
      headers: toPairs(message.headers),
      payload: message.payload,
      ...(message.coalesceKey === undefined ? {} : { coalesceKey: message.coalesceKey }),
      enqueuedAt: this.now(),
    };
    const frame = encodeFrame(encodeRecord(record));
    const { drops } = this.state.plan({ size: frame.length, coalesceKey: message.coalesceKey }, this.limits);
    for (const dropped of drops) {
      const old = this.state.pending.get(dropped);
      if (old?.coalesceKey !== undefined && old.coalesceKey === message.coalesceKey) this.counters.coalesced += 1;
      else this.counters.evicted += 1;
      this.state.remove(dropped);
    }
    const entry: PendingEntry = { ...record, size: frame.length, durable: false };
    this.state.add(entry);
    // Entry before drop: if the drop record is torn away, replay's same-key rule still coalesces.
    const frames = [frame];
    if (drops.length > 0) frames.push(encodeFrame(encodeRecord({ kind: 'drop', seqs: drops })));
    this.settleFlushes();
    try {
      await this.journal.append(frames, () => {
        entry.durable = true;
        this.work.notify();
      });
    } catch (err) {
      // Never durable, so never published: the caller learns it from this rejection.
      this.state.remove(seq);
      this.settleFlushes();
      throw this.storageFailure(err);
    }
    return { seq };
  }

  pending(): OutboxPending {
    return {
      entries: this.state.pending.size,
      bytes: this.state.bytes,
      coalescible: this.state.coalescibleCount,
      inFlight: this.inFlight !== undefined,
      ackedSeq: this.state.ackedSeq,
    };
  }

  stats(): OutboxStats {
    return { ...this.counters };
  }

  /**
   * Starts publishing over `nc` (which should reconnect forever: the outbox waits out
   * disconnections rather than piling publishes into the client's buffer).
   */
  start(nc: NatsConnection, options: { jetStream?: OutboxPublishTarget } = {}): void {
    this.assertUsable();
    if (this.loop) throw new OutboxInvalidMessageError('the status outbox is already started');
    this.stopping = false;
    // `info` is unset while the client is between connections.
    this.connected = !nc.isClosed() && nc.info !== undefined;
    this.watchConnection(nc);
    const js = options.jetStream ?? jetstream(nc);
    this.loop = this.run(js).finally(() => (this.loop = undefined));
  }

  /** Stops publishing once the in-flight publish (and its ack) completes. Entries stay journaled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopStatus?.();
    this.stopStatus = undefined;
    this.work.notify();
    this.retry.notify();
    await this.loop;
  }

  /** Resolves when everything enqueued before the call is acknowledged (or coalesced away). */
  flush(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError('the status outbox is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.state.nextSeq - 1;
    if (this.state.settledThrough(seq)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.flushes.push(waiter);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.flushes = this.flushes.filter((w) => w !== waiter);
          const p = this.pending();
          reject(
            new OutboxFlushTimeoutError(
              `status outbox not flushed after ${options.timeoutMs} ms (${p.entries} entries pending)`,
            ),
          );
        }, options.timeoutMs);
      }
    });
  }

  /** Stops, then releases the directory. What is unsent stays for the next `open`. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    const flushes = this.flushes;
    this.flushes = [];
    for (const w of flushes) w.reject(new OutboxClosedError('the status outbox was closed before it was flushed'));
    await this.journal.close();
  }

  private async run(js: OutboxPublishTarget): Promise<void> {
    let attempt = 0;
    while (!this.stopping && !this.failure) {
      let entry = this.state.head();
      if (!entry || !entry.durable) {
        await this.work.wait();
        continue;
      }
      if (!this.connected) {
        // Woken by the reconnect; the bound is a safety net should a status event be missed.
        await this.retry.wait(this.durations.backoffMaxMs);
        if (this.stopping) break;
        // The head may have been coalesced away while we waited.
        entry = this.state.head();
        if (!entry || !entry.durable) continue;
      }
      this.inFlight = entry.seq;
      let duplicate: boolean;
      try {
        const ack = await js.publish(entry.subject, entry.payload, {
          msgID: entry.msgId,
          headers: this.headersOf(entry),
          timeout: this.durations.publishTimeoutMs,
        });
        duplicate = ack.duplicate;
      } catch (err) {
        this.inFlight = undefined;
        this.counters.publishFailures += 1;
        const retryInMs = backoffDelay(attempt, {
          initialMs: this.durations.backoffInitialMs,
          maxMs: this.durations.backoffMaxMs,
          random: this.random,
        });
        attempt += 1;
        this.report(new OutboxPublishError(entry.msgId, entry.subject, attempt, retryInMs, { cause: err }));
        // The same entry is retried (unless coalesced away meanwhile): never skipped.
        await this.retry.wait(retryInMs);
        continue;
      }
      attempt = 0;
      this.counters.published += 1;
      if (duplicate) this.counters.duplicates += 1;
      try {
        await this.journal.append([encodeFrame(encodeRecord({ kind: 'ack', seq: entry.seq }))], () => {
          this.state.ack(entry.seq);
          this.settleFlushes();
        });
      } catch (err) {
        this.report(this.storageFailure(err));
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  /** The entry's own headers, plus its place in this outbox's order (Headers.outboxSequence/outboxEpoch). */
  private headersOf(entry: PendingEntry): MsgHdrs {
    const h = toHeaders(entry.headers) ?? natsHeaders();
    h.set(Headers.outboxSequence, String(entry.seq));
    h.set(Headers.outboxEpoch, this.epoch);
    return h;
  }

  private watchConnection(nc: NatsConnection): void {
    const statuses = nc.status() as AsyncIterable<Status> & { stop?: () => void };
    let active = true;
    this.stopStatus = () => {
      active = false;
      statuses.stop?.();
    };
    void (async () => {
      try {
        for await (const status of statuses) {
          if (!active) break;
          if (status.type === 'disconnect' || status.type === 'close') this.connected = false;
          if (status.type === 'reconnect') {
            this.connected = true;
            // Back online: retry now rather than at the end of a long backoff.
            this.retry.notify();
          }
        }
      } catch {
        // The iterator ends when the connection closes; nothing to report beyond publish failures.
      }
    })();
  }

  private settleFlushes(): void {
    if (this.flushes.length === 0) return;
    const remaining: typeof this.flushes = [];
    for (const w of this.flushes) {
      if (this.state.settledThrough(w.seq)) w.resolve();
      else remaining.push(w);
    }
    this.flushes = remaining;
  }

  private storageFailure(err: unknown): OutboxStorageError {
    const failure =
      err instanceof OutboxStorageError
        ? err
        : new OutboxStorageError(`status outbox storage failed: ${(err as Error).message}`, { cause: err });
    this.failure ??= failure;
    // Nothing will be acknowledged any more: waiting flushes learn it now, not at their timeout.
    const flushes = this.flushes;
    this.flushes = [];
    for (const w of flushes) w.reject(this.failure);
    return failure;
  }

  private assertUsable(): void {
    if (this.closed) throw new OutboxClosedError('the status outbox is closed');
    if (this.failure) throw this.failure;
  }

  private report(error: OutboxPublishError | OutboxStorageError): void {
    try {
      this.options.onError?.(error);
    } catch {
      // A failing error hook must not stop the publisher.
    }
  }
}

/** A wake-up for a waiting loop; `wait(ms)` also ends after `ms`. */
class Signal {
  private waiters: (() => void)[] = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  wait(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
      if (ms !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== done);
          resolve();
        }, ms);
      }
    });
  }
}

function toRecord(entry: PendingEntry): EntryRecord {
  const { size: _size, durable: _durable, ...record } = entry;
  return record;
}

function toPairs(headers: OutboxMessage['headers']): HeaderPairs {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const v of typeof value === 'string' ? [value] : value) pairs.push([name, v]);
  }
  return pairs;
}

function toHeaders(pairs: HeaderPairs): MsgHdrs | undefined {
  if (pairs.length === 0) return undefined;
  const h = natsHeaders();
  for (const [name, value] of pairs) h.append(name, value);
  return h;
}

// A publish subject has non-empty tokens and no wildcards or whitespace.
const subjectPattern = /^[^\s.*>]+(\.[^\s.*>]+)*$/;
const headerNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function validate(message: OutboxMessage): void {
  if (!subjectPattern.test(message.subject))
    throw new OutboxInvalidMessageError(`invalid status subject ${JSON.stringify(message.subject)}`);
  if (message.msgId.length === 0 || /[\s]/.test(message.msgId))
    throw new OutboxInvalidMessageError(`invalid message id ${JSON.stringify(message.msgId)}`);
  if (message.coalesceKey !== undefined && message.coalesceKey.length === 0)
    throw new OutboxInvalidMessageError('empty coalesce key');
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!headerNamePattern.test(name))
      throw new OutboxInvalidMessageError(`invalid header name ${JSON.stringify(name)}`);
    for (const v of typeof value === 'string' ? [value] : value) {
      if (/[\r\n]/.test(v)) throw new OutboxInvalidMessageError(`header ${name} contains a line break`);
    }
  }
}
