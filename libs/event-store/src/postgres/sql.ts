// SQL of the Postgres adapter, kept apart so tests can EXPLAIN exactly what runs.

import type { ReadAllOptions } from '../event-store.port';
import { defaultReadAllLimit } from '../core/read-options';

/**
 * Key of the transaction-level advisory lock every append takes first ('flotilla' in
 * ASCII). Appends are serialised anyway (each hash needs the previous one); holding the
 * lock until commit also makes positions become visible in order, so a reader that
 * resumes after the highest position it saw never skips an event.
 */
export const appendLockKey = '7380990011034447969';

/** Postgres NOTIFY channel an append transaction signals on commit; payload: the new head position. */
export const appendChannel = 'flotilla_events';

export const eventColumns =
  'position, stream_id, version, id, type, schema_version, data, metadata, recorded_at, prev_hash, hash';

/**
 * Sent as one simple-protocol message (no parameters, stream ids escaped as literals) to save
 * a round trip on every append: BEGIN, the lock, then the head hash, the current version of
 * each stream written, and a block of `count` positions. Each statement of such a message
 * takes its own snapshot in READ COMMITTED, so the reads see everything committed before the
 * lock was granted. The block is reserved with one nextval and a setval: only lock holders
 * draw from the sequence, so nobody can take a position inside it.
 */
export function lockAndPrepareAppendSql(
  streamIdLiterals: readonly string[],
  count: number,
  lockTimeoutMs: number,
): string {
  if (!Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(lockTimeoutMs))
    throw new Error('invalid append size');
  const positions =
    count === 0
      ? `ARRAY[]::bigint[]`
      : `(SELECT ARRAY[p, setval('events_position_seq', p + ${count - 1})] FROM (SELECT nextval('events_position_seq') AS p) AS first)`;
  return `BEGIN;
  SET LOCAL lock_timeout = '${lockTimeoutMs}ms';
  SELECT pg_advisory_xact_lock(${appendLockKey});
  SELECT
    (SELECT hash FROM events ORDER BY position DESC LIMIT 1) AS head_hash,
    ARRAY(
      SELECT coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = s.id), 0)
      FROM unnest(ARRAY[${streamIdLiterals.join(',')}]::text[]) WITH ORDINALITY AS s(id, n) ORDER BY s.n
    ) AS versions,
    ${positions} AS position_range`;
}

/**
 * One multi-row insert per append, and the NOTIFY. The rows travel as one JSON array built
 * by string concatenation around the canonical data text the hash was computed over: no
 * per-element escaping in the driver, one parse in Postgres.
 */
export const insertEventsSql = `
  WITH inserted AS (
    INSERT INTO events (position, stream_id, version, id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
    SELECT p, s, v, i, t, sv, d, m, $2::timestamptz, ph, h
    FROM jsonb_to_recordset($1::jsonb)
      AS x(p bigint, s text, v int, i uuid, t text, sv int, d jsonb, m jsonb, ph text, h text)
  )
  SELECT pg_notify('${appendChannel}', $3::text)`;

/** `LIKE` pattern matching every string that starts with `prefix`, wildcards escaped. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function buildReadAllQuery(options: ReadAllOptions): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (options.after !== undefined && options.after > 0) where.push(`position > ${param(options.after)}`);
  if (options.before !== undefined) where.push(`position < ${param(options.before)}`);
  if (options.streamPrefix !== undefined && options.streamPrefix !== '') {
    where.push(`stream_id LIKE ${param(likePrefix(options.streamPrefix))} ESCAPE '\\'`);
  }
  if (options.types !== undefined) where.push(`type = ANY(${param(options.types)}::text[])`);
  if (options.from !== undefined) where.push(`recorded_at >= ${param(options.from.toISOString())}::timestamptz`);
  if (options.to !== undefined) where.push(`recorded_at < ${param(options.to.toISOString())}::timestamptz`);
  const direction = options.direction === 'backward' ? 'DESC' : 'ASC';
  const limit = param(options.limit ?? defaultReadAllLimit);
  const text =
    `SELECT ${eventColumns} FROM events` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY position ${direction} LIMIT ${limit}`;
  return { text, values };
}
