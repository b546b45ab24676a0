import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import type { ClusterEvent } from '@flotilla/domain';

/** The cluster list: one row per cluster ever registered, with labels and connection state. */
export const clustersProjection: Projection = {
  name: 'hub-clusters',
  handles: [
    'ClusterRegistered',
    'ClusterLabelsChanged',
    'ClusterDeregistered',
    'ClusterConnected',
    'ClusterDisconnected',
  ],

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as ClusterEvent;
      switch (event.type) {
        case 'ClusterRegistered': {
          const d = event.data;
          await tx.query(
            `INSERT INTO hub_clusters (cluster_id, name, labels, public_key, agent_version, kubernetes_version, registered_at, registered_by_token, connection, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9) ON CONFLICT (cluster_id) DO NOTHING`,
            [
              d.clusterId,
              d.name,
              JSON.stringify(d.labels),
              d.publicKey,
              d.agentVersion,
              d.kubernetesVersion,
              d.registeredAt ?? recorded.recordedAt,
              d.tokenId,
              recorded.position,
            ],
          );
          break;
        }
        case 'ClusterLabelsChanged':
          await tx.query(
            `UPDATE hub_clusters SET labels = $2, labels_changed_at = $3, position = $4 WHERE cluster_id = $1`,
            [event.data.clusterId, JSON.stringify(event.data.labels), recorded.recordedAt, recorded.position],
          );
          break;
        case 'ClusterDeregistered':
          await tx.query(
            `UPDATE hub_clusters SET deregistered_at = $2, connection = 'disconnected', connection_changed_at = $2, position = $3 WHERE cluster_id = $1`,
            [event.data.clusterId, recorded.recordedAt, recorded.position],
          );
          break;
        // Liveness after deregistration is ignored: a deregistered cluster is never shown connected.
        case 'ClusterConnected':
          await tx.query(
            `UPDATE hub_clusters SET connection = 'connected', connection_changed_at = $2, last_seen_at = GREATEST(last_seen_at, $2), position = $3
             WHERE cluster_id = $1 AND deregistered_at IS NULL`,
            [event.data.clusterId, event.data.at ?? recorded.recordedAt, recorded.position],
          );
          break;
        case 'ClusterDisconnected':
          await tx.query(
            `UPDATE hub_clusters SET connection = 'disconnected', connection_changed_at = $2, last_seen_at = COALESCE($3, last_seen_at), position = $4
             WHERE cluster_id = $1 AND deregistered_at IS NULL`,
            [event.data.clusterId, recorded.recordedAt, event.data.lastSeenAt ?? null, recorded.position],
          );
          break;
      }
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_clusters');
  },
};
