/**
 * The records of the outbox journal. One file holds them all, in the order they happened:
 * a checkpoint first (the cursor and sequence carried over by compaction), then entries,
 * acknowledgements (the ack cursor advancing) and drops (entries coalesced or evicted).
 * Replaying them rebuilds the outbox exactly.
 */
export type HeaderPairs = ReadonlyArray<readonly [name: string, value: string]>;

export interface EntryRecord {
  kind: 'entry';
  seq: number;
  subject: string;
  msgId: string;
  headers: HeaderPairs;
  payload: Uint8Array;
  coalesceKey?: string;
  /** Milliseconds since the epoch. */
  enqueuedAt: number;
}

/** Every entry up to and including `seq` is settled (published and acknowledged, or dropped). */
export interface AckRecord {
  kind: 'ack';
  seq: number;
}

/** These entries will never be published: replaced by a newer entry with the same key, or evicted. */
export interface DropRecord {
  kind: 'drop';
  seqs: number[];
}

/** Written first in every journal file, so a compacted file needs none of its predecessors. */
export interface CheckpointRecord {
  kind: 'checkpoint';
  ackedSeq: number;
  nextSeq: number;
}

export type JournalRecord = EntryRecord | AckRecord | DropRecord | CheckpointRecord;

// Stored codes: never renumber.
const kindCodes = { entry: 1, ack: 2, drop: 3, checkpoint: 4 } as const;

export class JournalRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalRecordError';
  }
}

/** Body layout: `[u8 kind][u32 BE meta length][meta JSON][payload bytes, entries only]`. */
export function encodeRecord(record: JournalRecord): Buffer {
  let meta: unknown;
  let payload: Uint8Array = new Uint8Array(0);
  switch (record.kind) {
    case 'entry': {
      const { kind: _kind, payload: p, ...rest } = record;
      meta = rest;
      payload = p;
      break;
    }
    case 'ack':
      meta = { seq: record.seq };
      break;
    case 'drop':
      meta = { seqs: record.seqs };
      break;
    case 'checkpoint':
      meta = { ackedSeq: record.ackedSeq, nextSeq: record.nextSeq };
      break;
  }
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const body = Buffer.allocUnsafe(5 + json.length + payload.length);
  body.writeUInt8(kindCodes[record.kind], 0);
  body.writeUInt32BE(json.length, 1);
  body.set(json, 5);
  body.set(payload, 5 + json.length);
  return body;
}

/**
 * Decodes a body whose frame checksum was valid. A failure here is not a torn write (the
 * checksum matched) but a bug or a foreign file, so it throws instead of being skipped.
 */
export function decodeRecord(body: Buffer): JournalRecord {
  if (body.length < 5) throw new JournalRecordError(`record body too short (${body.length} bytes)`);
  const code = body.readUInt8(0);
  const jsonLength = body.readUInt32BE(1);
  if (5 + jsonLength > body.length) throw new JournalRecordError('record metadata runs past the body');
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(body.subarray(5, 5 + jsonLength).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new JournalRecordError('record metadata is not JSON', { cause: err });
  }
  const int = (name: string): number => {
    const value = meta[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new JournalRecordError(`record field ${name} is not a non-negative integer`);
    }
    return value;
  };
  const str = (name: string): string => {
    const value = meta[name];
    if (typeof value !== 'string') throw new JournalRecordError(`record field ${name} is not a string`);
    return value;
  };
  switch (code) {
    case kindCodes.entry: {
      const headers = meta.headers;
      if (
        !Array.isArray(headers) ||
        !headers.every(
          (h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string',
        )
      ) {
        throw new JournalRecordError('entry headers are not [name, value] pairs');
      }
      const coalesceKey = meta.coalesceKey === undefined ? undefined : str('coalesceKey');
      return {
        kind: 'entry',
        seq: int('seq'),
        subject: str('subject'),
        msgId: str('msgId'),
        headers: headers as [string, string][],
        // A copy: the caller's read buffer is reused and the entry outlives it.
        payload: new Uint8Array(body.subarray(5 + jsonLength)),
        ...(coalesceKey === undefined ? {} : { coalesceKey }),
        enqueuedAt: int('enqueuedAt'),
      };
    }
    case kindCodes.ack:
      return { kind: 'ack', seq: int('seq') };
    case kindCodes.drop: {
      const seqs = meta.seqs;
      if (!Array.isArray(seqs) || !seqs.every((s) => Number.isSafeInteger(s) && (s as number) >= 0)) {
        throw new JournalRecordError('drop seqs are not integers');
      }
      return { kind: 'drop', seqs: seqs as number[] };
    }
    case kindCodes.checkpoint:
      return { kind: 'checkpoint', ackedSeq: int('ackedSeq'), nextSeq: int('nextSeq') };
    default:
      throw new JournalRecordError(`unknown record kind ${code}`);
  }
}
