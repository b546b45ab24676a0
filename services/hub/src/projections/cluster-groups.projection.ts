import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import type { ClusterGroupEvent } from '@flotilla/domain';

/** Cluster groups and their selectors; members are computed at query time from hub_clusters. */
export const clusterGroupsProjection: Projection = {
  name: 'hub-cluster-groups',
  handles: ['ClusterGroupCreated', 'ClusterGroupDeleted'],

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as ClusterGroupEvent;
      switch (event.type) {
        case 'ClusterGroupCreated':
          await tx.query(
            `INSERT INTO hub_cluster_groups (name, selector, description, created_at, created_by, position) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO UPDATE SET selector = EXCLUDED.selector, description = EXCLUDED.description,
               created_at = EXCLUDED.created_at, created_by = EXCLUDED.created_by, position = EXCLUDED.position`,
            [
              event.data.name,
              JSON.stringify(event.data.selector),
              event.data.description,
              recorded.recordedAt,
              recorded.metadata.actor,
              recorded.position,
            ],
          );
          break;
        case 'ClusterGroupDeleted':
          await tx.query(`DELETE FROM hub_cluster_groups WHERE name = $1`, [event.data.name]);
          break;
      }
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_cluster_groups');
  },
};
