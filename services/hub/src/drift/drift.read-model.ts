import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClustersReadModel } from '../clusters/clusters.read-model';
import { resolveClusterScope } from '../history/cluster-scope';
import type { DriftEndReason, DriftFieldView, DriftMode, ResourceRefView } from './drift';
import { driftEpisodesLimitDefault, type DriftHistoryQuery, type DriftQuery } from '@flotilla/api';

export interface DriftItemView {
  clusterId: string;
  clusterName: string | null;
  application: string;
  resource: ResourceRefView;
  reason: 'missing' | 'modified';
  fields: DriftFieldView[];
  /** From the last DriftDetected: `correct` means the agent puts it back by itself. */
  mode: DriftMode;
  since: string;
  lastDetectedAt: string;
  episodeId: number;
}

export interface DriftApplicationSummary {
  application: string;
  clusters: number;
  resources: number;
  /** Drifted resources whose application corrects drift. */
  correcting: number;
}

export interface DriftNowView {
  summary: { clusters: number; resources: number; applications: DriftApplicationSummary[] };
  items: DriftItemView[];
}

export interface DriftEpisodeView {
  episodeId: number;
  clusterId: string;
  clusterName: string | null;
  application: string;
  resource: ResourceRefView;
  reason: 'missing' | 'modified';
  fields: DriftFieldView[];
  mode: DriftMode;
  detections: number;
  detectedAt: string;
  /** Null while the episode is open. */
  endedAt: string | null;
  endReason: DriftEndReason | null;
  durationMs: number | null;
}

export interface DriftEpisodesView {
  since: string | null;
  until: string | null;
  summary: {
    episodes: number;
    open: number;
    ended: Partial<Record<DriftEndReason, number>>;
    applications: Array<{ application: string; episodes: number; open: number; meanDurationMs: number | null }>;
  };
  items: DriftEpisodeView[];
  nextCursor: number | null;
}

const iso = (d: Date | string | null): string | null => (d ? new Date(d).toISOString() : null);

/** Builds `WHERE` parts for the scope filters; shared by the drift-now and episode queries. */
function scopeWhere(clusterIds: string[] | undefined, application: string | undefined, values: unknown[]): string[] {
  const where: string[] = [];
  if (clusterIds !== undefined) {
    values.push(clusterIds);
    where.push(`d.cluster_id = ANY($${values.length}::text[])`);
  }
  if (application !== undefined) {
    values.push(application);
    where.push(`d.application = $${values.length}`);
  }
  return where;
}

/** Queries over hub_drift and hub_drift_episodes (projection `hub-drift`). */
@Injectable()
export class DriftReadModel {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clusters: ClustersReadModel,
  ) {}

  async now(query: DriftQuery): Promise<DriftNowView> {
    const clusterIds = await resolveClusterScope(this.clusters, query);
    const values: unknown[] = [];
    const where = scopeWhere(clusterIds, query.application, values);
    const rows: Array<{
      cluster_id: string;
      cluster_name: string | null;
      application: string;
      resource: ResourceRefView;
      reason: 'missing' | 'modified';
      fields: DriftFieldView[];
      mode: DriftMode;
      since: Date;
      last_detected_at: Date;
      episode_id: string;
    }> = await this.dataSource.query(
      `SELECT d.*, c.name AS cluster_name FROM hub_drift d LEFT JOIN hub_clusters c ON c.cluster_id = d.cluster_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY c.name, d.cluster_id, d.application, d.resource_key`,
      values,
    );
    const items = rows.map((r): DriftItemView => ({
      clusterId: r.cluster_id,
      clusterName: r.cluster_name,
      application: r.application,
      resource: r.resource,
      reason: r.reason,
      fields: r.fields,
      mode: r.mode,
      since: iso(r.since)!,
      lastDetectedAt: iso(r.last_detected_at)!,
      episodeId: Number(r.episode_id),
    }));
    const perApp = new Map<string, { clusters: Set<string>; resources: number; correcting: number }>();
    for (const item of items) {
      const s = perApp.get(item.application) ?? { clusters: new Set(), resources: 0, correcting: 0 };
      s.clusters.add(item.clusterId);
      s.resources += 1;
      if (item.mode === 'correct') s.correcting += 1;
      perApp.set(item.application, s);
    }
    return {
      summary: {
        clusters: new Set(items.map((i) => i.clusterId)).size,
        resources: items.length,
        applications: [...perApp.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([application, s]) => ({
            application,
            clusters: s.clusters.size,
            resources: s.resources,
            correcting: s.correcting,
          })),
      },
      items,
    };
  }

  /** Episodes that overlap [since, until): detected before `until`, not ended before `since`. Newest first. */
  async episodes(query: DriftHistoryQuery): Promise<DriftEpisodesView> {
    const clusterIds = await resolveClusterScope(this.clusters, query);
    const limit = query.limit ?? driftEpisodesLimitDefault;
    const values: unknown[] = [];
    const where = scopeWhere(clusterIds, query.application, values);
    if (query.until) {
      values.push(query.until);
      where.push(`d.detected_at < $${values.length}`);
    }
    if (query.since) {
      values.push(query.since);
      where.push(`(d.ended_at IS NULL OR d.ended_at >= $${values.length})`);
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const pageWhere = [...where];
    const pageValues = [...values];
    if (query.cursor !== undefined) {
      pageValues.push(query.cursor);
      pageWhere.push(`d.episode_id < $${pageValues.length}`);
    }
    pageValues.push(limit);
    const [rows, summaryRows] = await Promise.all([
      this.dataSource.query(
        `SELECT d.*, c.name AS cluster_name FROM hub_drift_episodes d LEFT JOIN hub_clusters c ON c.cluster_id = d.cluster_id
         ${pageWhere.length > 0 ? `WHERE ${pageWhere.join(' AND ')}` : ''}
         ORDER BY d.episode_id DESC LIMIT $${pageValues.length}`,
        pageValues,
      ) as Promise<
        Array<{
          episode_id: string;
          cluster_id: string;
          cluster_name: string | null;
          application: string;
          resource: ResourceRefView;
          reason: 'missing' | 'modified';
          fields: DriftFieldView[];
          mode: DriftMode;
          detections: number;
          detected_at: Date;
          ended_at: Date | null;
          end_reason: DriftEndReason | null;
        }>
      >,
      this.dataSource.query(
        `SELECT d.application, d.end_reason, count(*)::int AS n,
                avg(extract(epoch FROM d.ended_at - d.detected_at) * 1000) AS mean_ms
         FROM hub_drift_episodes d ${filter} GROUP BY d.application, d.end_reason`,
        values,
      ) as Promise<
        Array<{ application: string; end_reason: DriftEndReason | null; n: number; mean_ms: string | null }>
      >,
    ]);
    const items = rows.map((r): DriftEpisodeView => ({
      episodeId: Number(r.episode_id),
      clusterId: r.cluster_id,
      clusterName: r.cluster_name,
      application: r.application,
      resource: r.resource,
      reason: r.reason,
      fields: r.fields,
      mode: r.mode,
      detections: r.detections,
      detectedAt: iso(r.detected_at)!,
      endedAt: iso(r.ended_at),
      endReason: r.end_reason,
      durationMs: r.ended_at ? new Date(r.ended_at).getTime() - new Date(r.detected_at).getTime() : null,
    }));
    const ended: Partial<Record<DriftEndReason, number>> = {};
    const perApp = new Map<string, { episodes: number; open: number; endedCount: number; endedMs: number }>();
    let total = 0;
    let open = 0;
    for (const row of summaryRows) {
      total += row.n;
      const s = perApp.get(row.application) ?? { episodes: 0, open: 0, endedCount: 0, endedMs: 0 };
      s.episodes += row.n;
      if (row.end_reason === null) {
        open += row.n;
        s.open += row.n;
      } else {
        ended[row.end_reason] = (ended[row.end_reason] ?? 0) + row.n;
        s.endedCount += row.n;
        s.endedMs += Number(row.mean_ms ?? 0) * row.n;
      }
      perApp.set(row.application, s);
    }
    return {
      since: iso(query.since ?? null),
      until: iso(query.until ?? null),
      summary: {
        episodes: total,
        open,
        ended,
        applications: [...perApp.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([application, s]) => ({
            application,
            episodes: s.episodes,
            open: s.open,
            meanDurationMs: s.endedCount > 0 ? Math.round(s.endedMs / s.endedCount) : null,
          })),
      },
      items,
      nextCursor: items.length === limit ? items.at(-1)!.episodeId : null,
    };
  }
}
