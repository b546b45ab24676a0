import { DataSource } from 'typeorm';
import type { ReportPlace } from './report-order';
import type { ClusterDirectory, ClusterStanding, RecordedReport, ReportLedger } from './status-ingester';

/**
 * Which clusters may report, from the clusters read model; a cluster the read model has not
 * caught up with yet is looked up in the log (its stream exists once ClusterRegistered is in).
 * Also what the log already holds of the reports in a batch: one query each per batch, by index.
 */
export class ReadModelClusterDirectory implements ClusterDirectory, ReportLedger {
  constructor(private readonly dataSource: DataSource) {}

  async standing(clusterId: string): Promise<ClusterStanding> {
    return (await this.standings([clusterId])).get(clusterId) ?? 'unknown';
  }

  async standings(clusterIds: readonly string[]): Promise<Map<string, ClusterStanding>> {
    const out = new Map<string, ClusterStanding>();
    const rows: Array<{ cluster_id: string; deregistered: boolean }> = await this.dataSource.query(
      `SELECT cluster_id, deregistered_at IS NOT NULL AS deregistered FROM hub_clusters WHERE cluster_id = ANY($1)`,
      [clusterIds],
    );
    for (const row of rows) out.set(row.cluster_id, row.deregistered ? 'deregistered' : 'registered');
    const missing = clusterIds.filter((id) => !out.has(id));
    if (missing.length > 0) {
      const registered: Array<{ stream_id: string }> = await this.dataSource.query(
        `SELECT stream_id FROM events WHERE stream_id = ANY($1) AND version = 1 AND type = 'ClusterRegistered'`,
        [missing.map((id) => `cluster-${id}`)],
      );
      const known = new Set(registered.map((r) => r.stream_id));
      for (const id of missing) out.set(id, known.has(`cluster-${id}`) ? 'registered' : 'unknown');
    }
    return out;
  }

  async lastPlaces(clusterIds: readonly string[]): Promise<Map<string, ReportPlace>> {
    // Per stream, a backward walk of its (stream_id, version) index that stops at the first hit.
    const rows: Array<{ id: string; report: { epoch: string; seq: number } }> = await this.dataSource.query(
      `SELECT s.id, r.report FROM unnest($1::text[]) AS s(id)
       CROSS JOIN LATERAL (
         SELECT metadata->'report' AS report FROM events
         WHERE stream_id = 'cluster-' || s.id AND metadata ? 'report' AND NOT (metadata->'report' ? 'late')
         ORDER BY version DESC LIMIT 1
       ) AS r`,
      [clusterIds],
    );
    return new Map(rows.map((row) => [row.id, { epoch: row.report.epoch, seq: Number(row.report.seq) }]));
  }

  async recorded(ids: readonly string[]): Promise<Map<string, RecordedReport>> {
    if (ids.length === 0) return new Map();
    const rows: Array<{ id: string; stream_id: string; type: string }> = await this.dataSource.query(
      `SELECT id::text AS id, stream_id, type FROM events WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((row) => [row.id, { streamId: row.stream_id, type: row.type }]));
  }
}
