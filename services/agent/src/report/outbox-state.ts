import type { EntryRecord, JournalRecord } from './journal-record';
import { OutboxFullError } from './outbox.errors';

/**
 * What the outbox holds, in memory, rebuilt from the journal on open: the unsettled entries
 * in sequence order, the ack cursor and the bounds policy. Pure (no I/O): the outbox decides
 * here, then journals the decision.
 */
export interface PendingEntry extends EntryRecord {
  /** Framed size in the journal: what counts against `maxBytes`. */
  size: number;
  /** Written and fsync'd; only durable entries are published. */
  durable: boolean;
}

export interface EnqueuePlan {
  /** Entries to drop so the new one fits: replaced by it (same key) or evicted (oldest heartbeats). */
  drops: number[];
}

export interface OutboxBounds {
  maxEntries: number;
  maxBytes: number;
}

export class OutboxState {
  ackedSeq = 0;
  nextSeq = 1;
  /** Unsettled entries; a Map keeps insertion (= sequence) order. */
  readonly pending = new Map<number, PendingEntry>();
  /** The subset with a coalesce key, oldest first: the eviction candidates. */
  private readonly coalescible = new Map<number, PendingEntry>();
  private readonly latestByKey = new Map<string, number>();
  private pendingBytes = 0;

  get bytes(): number {
    return this.pendingBytes;
  }

  get coalescibleCount(): number {
    return this.coalescible.size;
  }

  head(): PendingEntry | undefined {
    return this.pending.values().next().value;
  }

  /**
   * Decides what a new entry displaces, or throws `OutboxFullError` without changing anything.
   * An earlier entry with the same coalesce key is replaced (only the latest heartbeat matters);
   * then, while over a bound, the oldest coalescible entries go; sync and drift reports never do.
   */
  plan(entry: { size: number; coalesceKey?: string }, bounds: OutboxBounds): EnqueuePlan {
    const drops: number[] = [];
    let entries = this.pending.size + 1;
    let bytes = this.pendingBytes + entry.size;
    const replaced = entry.coalesceKey === undefined ? undefined : this.latestByKey.get(entry.coalesceKey);
    if (replaced !== undefined) {
      drops.push(replaced);
      entries -= 1;
      bytes -= this.pending.get(replaced)!.size;
    }
    for (const candidate of this.coalescible.values()) {
      if (entries <= bounds.maxEntries && bytes <= bounds.maxBytes) break;
      if (candidate.seq === replaced) continue;
      drops.push(candidate.seq);
      entries -= 1;
      bytes -= candidate.size;
    }
    if (entries > bounds.maxEntries || bytes > bounds.maxBytes) {
      throw new OutboxFullError({ entries: this.pending.size, bytes: this.pendingBytes }, bounds);
    }
    return { drops };
  }

  add(entry: PendingEntry): void {
    this.pending.set(entry.seq, entry);
    this.pendingBytes += entry.size;
    if (entry.coalesceKey !== undefined) {
      this.coalescible.set(entry.seq, entry);
      this.latestByKey.set(entry.coalesceKey, entry.seq);
    }
    this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
  }

  remove(seq: number): void {
    const entry = this.pending.get(seq);
    if (!entry) return;
    this.pending.delete(seq);
    this.pendingBytes -= entry.size;
    if (entry.coalesceKey !== undefined) {
      this.coalescible.delete(seq);
      if (this.latestByKey.get(entry.coalesceKey) === seq) this.latestByKey.delete(entry.coalesceKey);
    }
  }

  /** Publishing is in order, so an ack settles everything up to it. */
  ack(seq: number): void {
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    for (const entry of this.pending.values()) {
      if (entry.seq > this.ackedSeq) break;
      this.remove(entry.seq);
    }
  }

  /** Replays one journal record (on open). `size` is the record's framed size, for entries. */
  apply(record: JournalRecord, size: number): void {
    switch (record.kind) {
      case 'checkpoint':
        this.ackedSeq = Math.max(this.ackedSeq, record.ackedSeq);
        this.nextSeq = Math.max(this.nextSeq, record.nextSeq);
        break;
      case 'entry': {
        if (record.seq <= this.ackedSeq || this.pending.has(record.seq)) {
          this.nextSeq = Math.max(this.nextSeq, record.seq + 1);
          break;
        }
        // The drop record written after a coalescing entry may be the torn one: the key rule
        // gives the same answer without it.
        const replaced = record.coalesceKey === undefined ? undefined : this.latestByKey.get(record.coalesceKey);
        if (replaced !== undefined) this.remove(replaced);
        this.add({ ...record, size, durable: true });
        break;
      }
      case 'ack':
        this.ack(record.seq);
        break;
      case 'drop':
        for (const seq of record.seqs) this.remove(seq);
        break;
    }
  }

  /** Everything up to `seq` is settled (acknowledged or dropped). */
  settledThrough(seq: number): boolean {
    const head = this.head();
    return head === undefined || head.seq > seq;
  }
}
