import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import { ApplicationStatusSlice, type ApplicationStatusEvent, type StatusRow } from './application-status.fold';
import type { ReportedHealth, SyncState } from './application-status.rules';

interface StoredRow {
  application: string;
  cluster_id: string;
  desired_revision: number;
  desired_commit: string;
  desired_bundle: string;
  applied_commit: string | null;
  applied_bundle: string | null;
  sync: SyncState;
  health: ReportedHealth | null;
  health_message: string | null;
  last_sync_at: string | null;
  message: string | null;
  position: string;
}

// last_sync_at as text: Postgres prints it with its full precision and offset, so writing it
// back unchanged stores the same instant.
const rowColumns = (t: string) =>
  `${t}.application, ${t}.cluster_id, ${t}.desired_revision, ${t}.desired_commit, ${t}.desired_bundle,
   ${t}.applied_commit, ${t}.applied_bundle, ${t}.sync, ${t}.health, ${t}.health_message, ${t}.last_sync_at::text AS last_sync_at,
   ${t}.message, ${t}.position`;

/**
 * Per (application, cluster): what is desired (DesiredStateAssigned), what the agent applied
 * and how it went (Sync*), its health and drifted resources. Rows exist only while the
 * application is assigned to the cluster: a status event never creates one, so a late report
 * about an unassigned application changes nothing. Connection state is joined at read time
 * from the clusters read model.
 *
 * A batch costs a fixed number of statements whatever its size: load the rows and drift it
 * can touch (by primary key, or by cluster through hub_application_status_cluster_idx), fold
 * the events in memory (application-status.fold.ts), write each touched row once.
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
    // A report recorded after a later one of its cluster (metadata.report.late) must not
    // overwrite what the later one said.
    const batch = events
      .filter((e) => !e.metadata.report?.late)
      .map((e) => ({
        event: { type: e.type, data: e.data } as ApplicationStatusEvent,
        position: e.position,
      }));
    const slice = await loadSlice(
      tx,
      batch.map((b) => b.event),
    );
    for (const { event, position } of batch) slice.apply(event, position);
    await writeChanges(tx, slice);
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_application_drift');
    await tx.query('DELETE FROM hub_application_status');
  },
};

/** Reads what the batch can touch: whole clusters for assignments and deregistrations, single rows otherwise. */
async function loadSlice(tx: EntityManager, events: ApplicationStatusEvent[]): Promise<ApplicationStatusSlice> {
  const wholeClusters = new Set<string>();
  const pairs = new Map<string, { application: string; clusterId: string }>();
  for (const event of events) {
    if (event.type === 'DesiredStateAssigned' || event.type === 'ClusterDeregistered') {
      wholeClusters.add(event.data.clusterId);
    } else if (event.type !== 'HealthChanged' || !event.data.resource) {
      const { application, clusterId } = event.data;
      pairs.set(`${application}\u0000${clusterId}`, { application, clusterId });
    }
  }
  const single = [...pairs.values()].filter((p) => !wholeClusters.has(p.clusterId));
  const rows: StoredRow[] = await tx.query(
    `SELECT ${rowColumns('s')} FROM hub_application_status s WHERE s.cluster_id = ANY($1::text[])
     UNION ALL
     SELECT ${rowColumns('s')}
     FROM hub_application_status s
     JOIN unnest($2::text[], $3::text[]) AS k(application, cluster_id)
       ON s.application = k.application AND s.cluster_id = k.cluster_id`,
    [[...wholeClusters], single.map((p) => p.application), single.map((p) => p.clusterId)],
  );
  const slice = new ApplicationStatusSlice();
  for (const r of rows) slice.loadRow(toRow(r));
  if (rows.length > 0) {
    const drift: Array<{ application: string; cluster_id: string; resource_key: string }> = await tx.query(
      `SELECT d.application, d.cluster_id, d.resource_key
       FROM hub_application_drift d
       JOIN unnest($1::text[], $2::text[]) AS k(application, cluster_id)
         ON d.application = k.application AND d.cluster_id = k.cluster_id`,
      [rows.map((r) => r.application), rows.map((r) => r.cluster_id)],
    );
    for (const d of drift) slice.loadDrift(d.application, d.cluster_id, d.resource_key);
  }
  return slice;
}

async function writeChanges(tx: EntityManager, slice: ApplicationStatusSlice): Promise<void> {
  const { upserts, deletes, driftDeletes, driftInserts } = slice.changes();
  if (driftDeletes.length > 0) {
    await tx.query(
      `DELETE FROM hub_application_drift d
       USING unnest($1::text[], $2::text[], $3::text[]) AS k(application, cluster_id, resource_key)
       WHERE d.application = k.application AND d.cluster_id = k.cluster_id AND d.resource_key = k.resource_key`,
      [
        driftDeletes.map((d) => d.application),
        driftDeletes.map((d) => d.clusterId),
        driftDeletes.map((d) => d.resourceKey),
      ],
    );
  }
  if (deletes.length > 0) {
    await tx.query(
      `DELETE FROM hub_application_status s
       USING unnest($1::text[], $2::text[]) AS k(application, cluster_id)
       WHERE s.application = k.application AND s.cluster_id = k.cluster_id`,
      [deletes.map((d) => d.application), deletes.map((d) => d.clusterId)],
    );
  }
  if (upserts.length > 0) {
    const column = <K extends keyof StatusRow>(key: K) => upserts.map((r) => r[key]);
    await tx.query(
      `INSERT INTO hub_application_status (application, cluster_id, desired_revision, desired_commit, desired_bundle,
         applied_commit, applied_bundle, sync, health, last_sync_at, message, position, health_message)
       SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::bigint[], $13::text[])
       ON CONFLICT (application, cluster_id) DO UPDATE SET desired_revision = EXCLUDED.desired_revision,
         desired_commit = EXCLUDED.desired_commit, desired_bundle = EXCLUDED.desired_bundle,
         applied_commit = EXCLUDED.applied_commit, applied_bundle = EXCLUDED.applied_bundle, sync = EXCLUDED.sync,
         health = EXCLUDED.health, health_message = EXCLUDED.health_message, last_sync_at = EXCLUDED.last_sync_at, message = EXCLUDED.message,
         position = EXCLUDED.position`,
      [
        column('application'),
        column('clusterId'),
        column('desiredRevision'),
        column('desiredCommit'),
        column('desiredBundle'),
        column('appliedCommit'),
        column('appliedBundle'),
        column('sync'),
        column('health'),
        column('lastSyncAt'),
        column('message'),
        column('position'),
        column('healthMessage'),
      ],
    );
  }
  if (driftInserts.length > 0) {
    await tx.query(
      `INSERT INTO hub_application_drift (application, cluster_id, resource_key, resource, since)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])`,
      [
        driftInserts.map((d) => d.application),
        driftInserts.map((d) => d.clusterId),
        driftInserts.map((d) => d.resourceKey),
        driftInserts.map((d) => JSON.stringify(d.resource)),
        driftInserts.map((d) => d.since),
      ],
    );
  }
}

function toRow(r: StoredRow): StatusRow {
  return {
    application: r.application,
    clusterId: r.cluster_id,
    desiredRevision: r.desired_revision,
    desiredCommit: r.desired_commit,
    desiredBundle: r.desired_bundle,
    appliedCommit: r.applied_commit,
    appliedBundle: r.applied_bundle,
    sync: r.sync,
    health: r.health,
    healthMessage: r.health_message,
    lastSyncAt: r.last_sync_at,
    message: r.message,
    position: Number(r.position),
  };
}
