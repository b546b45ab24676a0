import { OutboxFullError } from './outbox.errors';
import { OutboxState, type PendingEntry } from './outbox-state';

function entry(seq: number, options: { size?: number; coalesceKey?: string } = {}): PendingEntry {
  return {
    kind: 'entry',
    seq,
    subject: 'status.c1',
    msgId: `m-${seq}`,
    headers: [],
    payload: new Uint8Array(0),
    enqueuedAt: seq,
    size: options.size ?? 10,
    durable: true,
    ...(options.coalesceKey === undefined ? {} : { coalesceKey: options.coalesceKey }),
  };
}

const roomy = { maxEntries: 100, maxBytes: 10_000 };

describe('OutboxState', () => {
  it('given an unsent heartbeat, when another comes, then the earlier one is replaced', () => {
    const state = new OutboxState();
    state.add(entry(1, { coalesceKey: 'hb' }));
    state.add(entry(2));
    expect(state.plan({ size: 10, coalesceKey: 'hb' }, roomy)).toEqual({ drops: [1] });
    expect(state.plan({ size: 10, coalesceKey: 'other' }, roomy)).toEqual({ drops: [] });
    expect(state.plan({ size: 10 }, roomy)).toEqual({ drops: [] });
  });

  it('given a full outbox, when an entry comes, then the oldest heartbeats are evicted first', () => {
    const state = new OutboxState();
    state.add(entry(1));
    state.add(entry(2, { coalesceKey: 'hb-a' }));
    state.add(entry(3));
    state.add(entry(4, { coalesceKey: 'hb-b' }));
    const bounds = { maxEntries: 4, maxBytes: 10_000 };
    expect(state.plan({ size: 10 }, bounds)).toEqual({ drops: [2] });
    expect(state.plan({ size: 35 }, { maxEntries: 100, maxBytes: 60 })).toEqual({ drops: [2, 4] });
  });

  it('given a full outbox of sync reports, when an entry comes, then it is refused and nothing changes', () => {
    const state = new OutboxState();
    for (let seq = 1; seq <= 3; seq++) state.add(entry(seq));
    expect(() => state.plan({ size: 10 }, { maxEntries: 3, maxBytes: 10_000 })).toThrow(OutboxFullError);
    expect(() => state.plan({ size: 10, coalesceKey: 'hb' }, { maxEntries: 3, maxBytes: 10_000 })).toThrow(
      OutboxFullError,
    );
    expect(() => state.plan({ size: 1 }, { maxEntries: 100, maxBytes: 30 })).toThrow(OutboxFullError);
    expect(state.pending.size).toBe(3);
    expect(state.bytes).toBe(30);
  });

  it('given a full outbox, when a heartbeat replaces its predecessor, then it fits without evicting others', () => {
    const state = new OutboxState();
    state.add(entry(1));
    state.add(entry(2, { coalesceKey: 'hb' }));
    state.add(entry(3, { coalesceKey: 'other' }));
    expect(state.plan({ size: 10, coalesceKey: 'hb' }, { maxEntries: 3, maxBytes: 10_000 })).toEqual({ drops: [2] });
  });

  it('given entries, when an ack comes, then everything up to it is settled', () => {
    const state = new OutboxState();
    for (let seq = 1; seq <= 4; seq++) state.add(entry(seq));
    expect(state.settledThrough(2)).toBe(false);
    state.ack(2);
    expect([...state.pending.keys()]).toEqual([3, 4]);
    expect(state.bytes).toBe(20);
    expect(state.settledThrough(2)).toBe(true);
    expect(state.settledThrough(3)).toBe(false);
    expect(state.head()?.seq).toBe(3);
  });

  it('replays a journal: checkpoint, entries, drops, acks, and the same-key rule when a drop was torn away', () => {
    const state = new OutboxState();
    state.apply({ kind: 'checkpoint', ackedSeq: 4, nextSeq: 5 }, 0);
    state.apply(entry(3), 10); // already acked before the checkpoint
    state.apply(entry(5), 10);
    state.apply(entry(6, { coalesceKey: 'hb' }), 10);
    state.apply(entry(7), 10);
    state.apply(entry(8, { coalesceKey: 'hb' }), 10); // its drop record of 6 never made it
    state.apply({ kind: 'drop', seqs: [7] }, 0);
    state.apply({ kind: 'ack', seq: 5 }, 0);
    expect([...state.pending.keys()]).toEqual([8]);
    expect(state.ackedSeq).toBe(5);
    expect(state.nextSeq).toBe(9);
    expect(state.bytes).toBe(10);
  });
});
