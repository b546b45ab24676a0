import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import { asStatusEvent, resourceKey, type ClusterDeregistered } from '@flotilla/domain';
import { driftEventTypes, eventTime, type DriftEndReason } from './drift';

/**
 * hub_drift (what is drifted now) and hub_drift_episodes (every episode, open or ended), in
 * one projection so they never disagree. An episode opens with the first DriftDetected of a
 * resource, absorbs later detections (fields, mode), and ends with DriftCorrected,
 * DriftResolved, the resource's prune, the application's removal or the cluster's
 * deregistration.
 */
export const driftProjection: Projection = {
  name: 'hub-drift',
  handles: driftEventTypes,

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const event of events) {
      // A report recorded after a later one of its cluster must not overwrite what that one said.
      if (event.metadata.report?.late) continue;
      if (event.type === 'ClusterDeregistered') {
        const { clusterId } = event.data as ClusterDeregistered['data'];
        await closeEpisodes(tx, 'WHERE cluster_id = $1', [clusterId], event.recordedAt, 'deregistered');
        continue;
      }
      // Typed: the hub validated each report before appending it, and upcasters lift older shapes.
      const status = asStatusEvent(event);
      // A refused desired state is about the cluster, not an application's resources.
      if (!status || status.type === 'DesiredStateRefused') continue;
      const { clusterId, application } = status.data;
      const at = eventTime(status.data.at, event.recordedAt);
      switch (status.type) {
        case 'DriftDetected':
        case 'DriftCorrected': {
          const { resource: ref, reason } = status.data;
          const key = resourceKey(ref);
          const fields = JSON.stringify(status.data.fields);
          const [open] = (await tx.query(
            `SELECT episode_id FROM hub_drift WHERE cluster_id = $1 AND application = $2 AND resource_key = $3`,
            [clusterId, application, key],
          )) as Array<{ episode_id: string }>;
          if (status.type === 'DriftDetected') {
            const { mode } = status.data;
            if (open) {
              await tx.query(
                `UPDATE hub_drift SET resource = $4, reason = $5, fields = $6, mode = $7, last_detected_at = $8, position = $9
                 WHERE cluster_id = $1 AND application = $2 AND resource_key = $3`,
                [clusterId, application, key, JSON.stringify(ref), reason, fields, mode, at, event.position],
              );
              await tx.query(
                `UPDATE hub_drift_episodes SET reason = $2, fields = $3, mode = $4, detections = detections + 1 WHERE episode_id = $1`,
                [open.episode_id, reason, fields, mode],
              );
            } else {
              await tx.query(
                `INSERT INTO hub_drift (cluster_id, application, resource_key, resource, reason, fields, mode, since, last_detected_at, episode_id, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9)`,
                [clusterId, application, key, JSON.stringify(ref), reason, fields, mode, at, event.position],
              );
              await tx.query(
                `INSERT INTO hub_drift_episodes (episode_id, cluster_id, application, resource_key, resource, reason, fields, mode, detections, detected_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)`,
                [event.position, clusterId, application, key, JSON.stringify(ref), reason, fields, mode, at],
              );
            }
          } else if (open) {
            await closeEpisodes(
              tx,
              'WHERE cluster_id = $1 AND application = $2 AND resource_key = $3',
              [clusterId, application, key],
              at,
              'corrected',
            );
          } else {
            // Corrected without a detection on record (the agent reports both; this one was
            // lost or rejected): still an episode, begun and ended at once.
            await tx.query(
              `INSERT INTO hub_drift_episodes (episode_id, cluster_id, application, resource_key, resource, reason, fields, mode, detections, detected_at, ended_at, end_reason)
               VALUES ($1, $2, $3, $4, $5, $6, $7, 'correct', 1, $8, $8, 'corrected')`,
              [event.position, clusterId, application, key, JSON.stringify(ref), reason, fields, at],
            );
          }
          break;
        }
        case 'DriftResolved': {
          await closeEpisodes(
            tx,
            'WHERE cluster_id = $1 AND application = $2 AND resource_key = $3',
            [clusterId, application, resourceKey(status.data.resource)],
            at,
            'resolved',
          );
          break;
        }
        case 'SyncSucceeded': {
          const pruned = status.data.resources.filter((r) => r.action === 'pruned').map((r) => resourceKey(r.ref));
          if (pruned.length === 0) break;
          await closeEpisodes(
            tx,
            'WHERE cluster_id = $1 AND application = $2 AND resource_key = ANY($3::text[])',
            [clusterId, application, pruned],
            at,
            'pruned',
          );
          break;
        }
        case 'ApplicationRemoved':
          await closeEpisodes(
            tx,
            'WHERE cluster_id = $1 AND application = $2',
            [clusterId, application],
            at,
            'removed',
          );
          break;
      }
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_drift');
    await tx.query('DELETE FROM hub_drift_episodes');
  },
};

/** Ends the open episodes `where` selects in hub_drift (parameters $1..$n), and removes them from it. */
async function closeEpisodes(
  tx: EntityManager,
  where: string,
  values: unknown[],
  at: Date,
  reason: DriftEndReason,
): Promise<void> {
  const n = values.length;
  await tx.query(
    `WITH closed AS (DELETE FROM hub_drift ${where} RETURNING episode_id)
     UPDATE hub_drift_episodes SET ended_at = GREATEST($${n + 1}::timestamptz, detected_at), end_reason = $${n + 2}
     WHERE episode_id IN (SELECT episode_id FROM closed)`,
    [...values, at, reason],
  );
}
