import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { stateFromChanges, type ClusterStateAt, type StateChange } from './cluster-state';

/** The state of a cluster at a moment, from the rows of hub_cluster_state_history valid then. */
@Injectable()
export class TimeTravelReadModel {
  constructor(private readonly dataSource: DataSource) {}

  async stateAt(clusterId: string, at: Date): Promise<ClusterStateAt> {
    const rows: Array<{ kind: StateChange['kind']; slot: string; data: never }> = await this.dataSource.query(
      `SELECT kind, slot, data FROM hub_cluster_state_history
       WHERE cluster_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)`,
      [clusterId, at.toISOString()],
    );
    return stateFromChanges(
      clusterId,
      at,
      rows.map((r) => ({ kind: r.kind, slot: r.slot, data: r.data }) as StateChange),
    );
  }
}
