// SQL of the history queries, kept apart (and pure) so tests can EXPLAIN exactly what runs.

export interface HistoryFilter {
  /** Undefined: any cluster. Empty: none (a group without members), so nothing matches. */
  clusterIds?: string[];
  application?: string;
  source?: string;
  /** A full commit sha (prefixes are resolved before, see commitCandidatesQuery). */
  commit?: string;
  types?: string[];
  actor?: string;
  since?: Date;
  until?: Date;
  order: 'newest' | 'oldest';
  /** Position of the last event of the previous page. */
  cursor?: number;
  /** Never past this position (an export's snapshot of the head). */
  maxPosition?: number;
  /** Never before this position (the recent window of a windowed read, see HistoryReadModel). */
  minPosition?: number;
  /**
   * Collect every match through the filter's indexes, then sort, instead of walking the log
   * in position order. Right when matches are few or old; always for a commit.
   */
  collect?: boolean;
}

const historyColumns = 'position, stream_id, version, id, type, schema_version, data, metadata, recorded_at, hash';

/**
 * One page of the log in position order. Each filter is written as the expression its index
 * was built on (add-history-indexes.migration.ts); filters on things an event can name in
 * several ways (an application's own stream, `data.application`, an entry of a desired
 * state) are ORs of indexed arms, which Postgres combines with a BitmapOr.
 */
export function buildHistoryQuery(filter: HistoryFilter, limit: number): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.clusterIds !== undefined) {
    if (filter.clusterIds.length === 0) where.push('false');
    // A scalar `=` for one cluster lets the index serve the order too (no sort).
    else if (filter.clusterIds.length === 1) where.push(`(data->>'clusterId') = ${param(filter.clusterIds[0])}`);
    else where.push(`(data->>'clusterId') = ANY(${param(filter.clusterIds)}::text[])`);
  }
  if (filter.application !== undefined) {
    const name = filter.application;
    where.push(
      `(stream_id = ${param(`application-${name}`)} OR (data->>'application') = ${param(name)}` +
        ` OR (type = 'DesiredStateAssigned' AND (data->'applications') @> ${param(JSON.stringify([{ name }]))}::jsonb))`,
    );
  }
  if (filter.source !== undefined) {
    const source = filter.source;
    where.push(
      `(stream_id = ${param(`source-${source}`)} OR (data->>'source') = ${param(source)}` +
        ` OR (type = 'DesiredStateAssigned' AND (data->'applications') @> ${param(JSON.stringify([{ source }]))}::jsonb))`,
    );
  }
  if (filter.commit !== undefined) {
    const commit = filter.commit;
    const c = param(commit);
    where.push(
      `((data->>'commit') = ${c} OR (data->>'sha') = ${c}` +
        ` OR (type = 'DesiredStateAssigned' AND (data->'applications') @> ${param(JSON.stringify([{ commit }]))}::jsonb))`,
    );
  }
  const types = filter.types;
  if (types !== undefined && types.length === 1) where.push(`type = ${param(types[0])}`);
  if (filter.actor !== undefined) where.push(`(metadata->>'actor') = ${param(filter.actor)}`);
  if (filter.since !== undefined) where.push(`recorded_at >= ${param(filter.since.toISOString())}::timestamptz`);
  if (filter.until !== undefined) where.push(`recorded_at < ${param(filter.until.toISOString())}::timestamptz`);
  if (filter.cursor !== undefined) {
    where.push(`position ${filter.order === 'newest' ? '<' : '>'} ${param(filter.cursor)}`);
  }
  if (filter.maxPosition !== undefined) where.push(`position <= ${param(filter.maxPosition)}`);
  if (filter.minPosition !== undefined) where.push(`position >= ${param(filter.minPosition)}`);
  const order = `ORDER BY position ${filter.order === 'newest' ? 'DESC' : 'ASC'} LIMIT ${param(limit)}`;
  const select = (extra: string[]) => {
    const all = [...where, ...extra];
    return `SELECT ${historyColumns} FROM events${all.length > 0 ? ` WHERE ${all.join(' AND ')}` : ''}`;
  };
  if (filter.collect || filter.commit !== undefined) {
    // Matches that are few but old: left to itself the planner walks the log backwards from
    // the head hoping to meet them soon (its estimate for an OR of arms, a jsonb containment
    // above all, is coarse). Collecting the matches through the indexes first and sorting
    // them costs the number of matches (for a commit: the size of one rollout).
    const typeFilter = types !== undefined && types.length > 1 ? [`type = ANY(${param(types)}::text[])`] : [];
    return { text: `WITH matches AS MATERIALIZED (${select(typeFilter)}) SELECT * FROM matches ${order}`, values };
  }
  if (types !== undefined && types.length > 1) {
    // Each type read in order from (type, position) and merged: no walk over other types'
    // events when the wanted ones are rare or old.
    const parts = types.map((type) => `(${select([`type = ${param(type)}`])} ${order})`);
    return { text: `SELECT * FROM (${parts.join(' UNION ALL ')}) AS merged ${order}`, values };
  }
  return { text: `${select([])} ${order}`, values };
}

/**
 * Full shas a prefix could name. CommitObserved (`sha`) names each commit once, so all its
 * matches are read; events that only carry `commit` (a commit the hub never observed) are
 * sampled, since one commit synced to a thousand clusters is a thousand rows.
 */
export function commitCandidatesQuery(prefix: string, max: number): { text: string; values: unknown[] } {
  return {
    text: `SELECT DISTINCT c FROM (
             SELECT data->>'sha' AS c FROM events WHERE (data->>'sha') LIKE $1
             UNION ALL
             (SELECT data->>'commit' AS c FROM events WHERE (data->>'commit') LIKE $1 LIMIT 1000)
           ) AS found ORDER BY c LIMIT $2`,
    values: [`${prefix.toLowerCase()}%`, max],
  };
}
