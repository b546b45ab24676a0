import { DataSource } from 'typeorm';
import type { EventStore } from '@flotilla/event-store';
import type { ClusterDirectory, ClusterStanding } from './status-ingester';

/**
 * Which clusters may report, from the clusters read model; a cluster the read model has not
 * caught up with yet is looked up in the log (its stream exists once ClusterRegistered is in).
 */
export class ReadModelClusterDirectory implements ClusterDirectory {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  async standing(clusterId: string): Promise<ClusterStanding> {
    const rows: Array<{ deregistered: boolean }> = await this.dataSource.query(
      `SELECT deregistered_at IS NOT NULL AS deregistered FROM hub_clusters WHERE cluster_id = $1`,
      [clusterId],
    );
    if (rows[0]) return rows[0].deregistered ? 'deregistered' : 'registered';
    const events = await this.store.readStream(`cluster-${clusterId}`, { limit: 1 });
    return events[0]?.type === 'ClusterRegistered' ? 'registered' : 'unknown';
  }
}
