import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ValidationError } from '@flotilla/domain';
import type { EventMetadata } from '@flotilla/event-store';
import { ClustersReadModel } from '../clusters/clusters.read-model';
import { resolveClusterScope } from './cluster-scope';
import { hideCredentialHashes } from './credential-hashes';
import { historyExportBatchSize, historyPageLimitDefault, type HistoryQuery } from '@flotilla/api';
import { buildHistoryQuery, commitCandidatesQuery, type HistoryFilter } from './history.sql';

/**
 * One event as the history API shows it: the stored shape (schemaVersion says which), never
 * upcast, with hashes of credentials hidden (credential-hashes.ts).
 */
export interface HistoryEventView {
  position: number;
  streamId: string;
  version: number;
  id: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  recordedAt: string;
  hash: string;
}

export interface HistoryPage {
  items: HistoryEventView[];
  /** Pass as `cursor` for the next page; null when this page is the last. */
  nextCursor: number | null;
}

interface EventRow {
  position: string;
  stream_id: string;
  version: number;
  id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
  hash: string;
}

/**
 * A filter on an application or a source is an OR of indexed arms. Its page is first read in
 * position order within this many positions of the start (cheap, bounded: enough for an
 * application that is active); only when that window does not fill the page are the older
 * matches collected through the indexes (cost: their number), so a quiet or long-deleted
 * application never makes the hub walk the whole log.
 */
export const historyRecentWindow = 20_000;

/** Candidates fetched to tell a unique commit prefix from an ambiguous one. */
const commitCandidatesShown = 5;
const fullShaLength = [40, 64];

function toView(row: EventRow): HistoryEventView {
  return {
    position: Number(row.position),
    streamId: row.stream_id,
    version: row.version,
    id: row.id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: hideCredentialHashes(row.data),
    metadata: row.metadata,
    recordedAt: new Date(row.recorded_at).toISOString(),
    hash: row.hash,
  };
}

/** The history of the log: filtered pages by position, and the unbounded export. */
@Injectable()
export class HistoryReadModel {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clusters: ClustersReadModel,
  ) {}

  /** Turns the request into a filter: a group into its members' ids, a commit prefix into the one sha it names. */
  async resolve(query: HistoryQuery): Promise<HistoryFilter> {
    const clusterIds = await resolveClusterScope(this.clusters, query);
    return {
      clusterIds,
      application: query.application,
      source: query.source,
      commit: query.commit !== undefined ? await this.resolveCommit(query.commit) : undefined,
      types: query.type,
      actor: query.actor,
      since: query.since,
      until: query.until,
      order: query.order ?? 'newest',
      cursor: query.cursor,
    };
  }

  async page(filter: HistoryFilter, limit = historyPageLimitDefault): Promise<HistoryPage> {
    const items = await this.run(filter, limit);
    return { items, nextCursor: items.length === limit ? items.at(-1)!.position : null };
  }

  /**
   * Every match, in batches: each batch is its own keyset query (no transaction or server
   * cursor held for the length of a slow download), bounded by the head at the start so an
   * export is a consistent snapshot of the log.
   */
  async *export(filter: HistoryFilter): AsyncGenerator<HistoryEventView[]> {
    const head = await this.head();
    let cursor = filter.cursor;
    for (;;) {
      const batch = await this.run({ ...filter, cursor, maxPosition: head }, historyExportBatchSize);
      if (batch.length > 0) yield batch;
      if (batch.length < historyExportBatchSize) return;
      cursor = batch.at(-1)!.position;
    }
  }

  private async run(filter: HistoryFilter, limit: number): Promise<HistoryEventView[]> {
    if ((filter.application === undefined && filter.source === undefined) || filter.collect || filter.commit) {
      return this.query(filter, limit);
    }
    if (filter.order === 'newest') {
      // Positions below `start` are wanted; the window is [start - W, start).
      const start = filter.cursor ?? (filter.maxPosition ?? (await this.head())) + 1;
      const edge = start - historyRecentWindow;
      const recent = await this.query({ ...filter, minPosition: Math.max(filter.minPosition ?? 0, edge) }, limit);
      if (recent.length === limit || edge <= (filter.minPosition ?? 0)) return recent;
      const older = await this.query({ ...filter, cursor: edge, collect: true }, limit - recent.length);
      return [...recent, ...older];
    }
    // Oldest first: positions above `start`; the window is (start, start + W].
    const start = filter.cursor ?? 0;
    const edge = start + historyRecentWindow;
    const early = await this.query({ ...filter, maxPosition: Math.min(filter.maxPosition ?? edge, edge) }, limit);
    if (early.length === limit || (filter.maxPosition !== undefined && edge >= filter.maxPosition)) return early;
    const later = await this.query({ ...filter, cursor: edge, collect: true }, limit - early.length);
    return [...early, ...later];
  }

  private async query(filter: HistoryFilter, limit: number): Promise<HistoryEventView[]> {
    const { text, values } = buildHistoryQuery(filter, limit);
    const rows: EventRow[] = await this.dataSource.query(text, values);
    return rows.map(toView);
  }

  private async head(): Promise<number> {
    const [row] = (await this.dataSource.query(`SELECT coalesce(max(position), 0) AS position FROM events`)) as Array<{
      position: string;
    }>;
    return Number(row!.position);
  }

  private async resolveCommit(commit: string): Promise<string> {
    const lower = commit.toLowerCase();
    if (fullShaLength.includes(lower.length)) return lower;
    const { text, values } = commitCandidatesQuery(lower, commitCandidatesShown);
    const rows: Array<{ c: string }> = await this.dataSource.query(text, values);
    if (rows.length > 1) {
      throw new ValidationError(
        `commit prefix "${commit}" is ambiguous: it matches ${rows.map((r) => r.c).join(', ')}${rows.length === commitCandidatesShown ? ', ...' : ''}`,
        'commit',
        { code: 'ambiguous-commit' },
      );
    }
    // An unknown prefix matches nothing: the filter keeps it as given (an empty answer, not an error).
    return rows[0]?.c ?? lower;
  }
}
