import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import type { StatusEvent } from '../../status/status-event.mapping';
import { resourceKey, syncAfterAssignment, syncAfterSuccess, type SyncState } from './application-status.rules';

interface AssignedApplication {
  name: string;
  commit: string;
  bundleDigest: string;
}

type Handled =
  | StatusEvent
  | { type: 'DesiredStateAssigned'; data: { clusterId: string; revision: number; applications: AssignedApplication[] } }
  | { type: 'ClusterDeregistered'; data: { clusterId: string } };

/**
 * Per (application, cluster): what is desired (DesiredStateAssigned), what the agent applied
 * and how it went (Sync*), its health and drifted resources. Rows exist only while the
 * application is assigned to the cluster: a status event never creates one, so a late report
 * about an unassigned application changes nothing. Connection state is joined at read time
 * from the clusters read model.
 */
export const applicationStatusProjection: Projection = {
  name: 'hub-application-status',
  handles: [
    'DesiredStateAssigned',
    'ClusterDeregistered',
    'SyncStarted',
    'SyncSucceeded',
    'SyncFailed',
    'HealthChanged',
    'DriftDetected',
    'DriftCorrected',
    'DriftResolved',
    'ApplicationRemoved',
  ],

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as Handled;
      const position = recorded.position;
      switch (event.type) {
        case 'DesiredStateAssigned': {
          const { clusterId, revision, applications } = event.data;
          const names = applications.map((a) => a.name);
          await tx.query(
            `DELETE FROM hub_application_drift WHERE cluster_id = $1 AND NOT (application = ANY($2::text[]))`,
            [clusterId, names],
          );
          await tx.query(
            `DELETE FROM hub_application_status WHERE cluster_id = $1 AND NOT (application = ANY($2::text[]))`,
            [clusterId, names],
          );
          for (const app of applications) {
            const rows: Array<{ sync: SyncState; applied_bundle: string | null }> = await tx.query(
              `SELECT sync, applied_bundle FROM hub_application_status WHERE application = $1 AND cluster_id = $2`,
              [app.name, clusterId],
            );
            const sync = rows[0]
              ? syncAfterAssignment(rows[0].sync, rows[0].applied_bundle, app.bundleDigest)
              : 'pending';
            await tx.query(
              `INSERT INTO hub_application_status (application, cluster_id, desired_revision, desired_commit, desired_bundle, sync, position)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (application, cluster_id) DO UPDATE SET desired_revision = $3, desired_commit = $4,
                 desired_bundle = $5, sync = $6, position = $7`,
              [app.name, clusterId, revision, app.commit, app.bundleDigest, sync, position],
            );
          }
          break;
        }
        case 'ClusterDeregistered':
          await tx.query(`DELETE FROM hub_application_drift WHERE cluster_id = $1`, [event.data.clusterId]);
          await tx.query(`DELETE FROM hub_application_status WHERE cluster_id = $1`, [event.data.clusterId]);
          break;
        case 'SyncStarted':
          await tx.query(
            `UPDATE hub_application_status SET sync = 'syncing', position = $3 WHERE application = $1 AND cluster_id = $2`,
            [event.data.application, event.data.clusterId, position],
          );
          break;
        case 'SyncSucceeded': {
          const d = event.data;
          const rows: Array<{ desired_bundle: string }> = await tx.query(
            `SELECT desired_bundle FROM hub_application_status WHERE application = $1 AND cluster_id = $2`,
            [d.application, d.clusterId],
          );
          if (!rows[0]) break;
          await tx.query(
            `UPDATE hub_application_status SET applied_commit = $3, applied_bundle = $4, sync = $5, last_sync_at = $6,
               message = NULL, position = $7 WHERE application = $1 AND cluster_id = $2`,
            [
              d.application,
              d.clusterId,
              d.commit || null,
              d.bundleDigest,
              syncAfterSuccess(d.bundleDigest, rows[0].desired_bundle),
              d.at,
              position,
            ],
          );
          // Drift of an object the bundle no longer has is over: the agent stopped watching it.
          const kept = d.resources.filter((r) => r.action !== 'pruned').map((r) => resourceKey(r.ref));
          await tx.query(
            `DELETE FROM hub_application_drift WHERE application = $1 AND cluster_id = $2 AND NOT (resource_key = ANY($3::text[]))`,
            [d.application, d.clusterId, kept],
          );
          break;
        }
        case 'SyncFailed':
          await tx.query(
            `UPDATE hub_application_status SET sync = 'failed', last_sync_at = $3, message = $4, position = $5
             WHERE application = $1 AND cluster_id = $2`,
            [event.data.application, event.data.clusterId, event.data.at, event.data.message, position],
          );
          break;
        case 'HealthChanged':
          // Resource health is detail for the history; the view shows the application's.
          if (event.data.resource) break;
          await tx.query(
            `UPDATE hub_application_status SET health = $3, position = $4 WHERE application = $1 AND cluster_id = $2`,
            [event.data.application, event.data.clusterId, event.data.status, position],
          );
          break;
        case 'DriftDetected': {
          const d = event.data;
          const assigned: unknown[] = await tx.query(
            `SELECT 1 FROM hub_application_status WHERE application = $1 AND cluster_id = $2`,
            [d.application, d.clusterId],
          );
          if (assigned.length === 0) break;
          await tx.query(
            `INSERT INTO hub_application_drift (application, cluster_id, resource_key, resource, since)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
            [d.application, d.clusterId, resourceKey(d.resource), JSON.stringify(d.resource), d.at],
          );
          break;
        }
        case 'DriftCorrected':
        case 'DriftResolved':
          await tx.query(
            `DELETE FROM hub_application_drift WHERE application = $1 AND cluster_id = $2 AND resource_key = $3`,
            [event.data.application, event.data.clusterId, resourceKey(event.data.resource)],
          );
          break;
        case 'ApplicationRemoved':
          // Normally the row left with the assignment; if it is still assigned, nothing runs there now.
          await tx.query(`DELETE FROM hub_application_drift WHERE application = $1 AND cluster_id = $2`, [
            event.data.application,
            event.data.clusterId,
          ]);
          await tx.query(
            `UPDATE hub_application_status SET applied_commit = NULL, applied_bundle = NULL, health = NULL, sync = 'pending',
               position = $3 WHERE application = $1 AND cluster_id = $2`,
            [event.data.application, event.data.clusterId, position],
          );
          break;
      }
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_application_drift');
    await tx.query('DELETE FROM hub_application_status');
  },
};
