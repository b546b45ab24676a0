import type { StatusEvent } from '@flotilla/domain';
import {
  resourceKey,
  syncAfterAssignment,
  syncAfterSuccess,
  type ReportedHealth,
  type SyncState,
} from './application-status.rules';

interface AssignedApplication {
  name: string;
  commit: string;
  bundleDigest: string;
}

export type ApplicationStatusEvent =
  // A refused desired state changed nothing on the cluster: no application's status moves.
  | Exclude<StatusEvent, { type: 'DesiredStateRefused' }>
  | { type: 'DesiredStateAssigned'; data: { clusterId: string; revision: number; applications: AssignedApplication[] } }
  | { type: 'ClusterDeregistered'; data: { clusterId: string } };

/** One row of hub_application_status, as the fold holds it. */
export interface StatusRow {
  application: string;
  clusterId: string;
  desiredRevision: number;
  desiredCommit: string;
  desiredBundle: string;
  appliedCommit: string | null;
  appliedBundle: string | null;
  sync: SyncState;
  health: ReportedHealth | null;
  /** Why the health is what it is, in the agent's words (the worst resource's message). */
  healthMessage: string | null;
  /** As Postgres printed it, or an event's `at`: written back as given, so no precision is lost. */
  lastSyncAt: string | null;
  message: string | null;
  position: number;
}

/** A drifted resource of one (application, cluster). Only those the batch recorded carry what to insert. */
export type DriftEntry = { recorded: false } | { recorded: true; resource: unknown; since: string };

export interface ApplicationStatusChanges {
  /** Rows to insert or overwrite (every column). */
  upserts: StatusRow[];
  /** Rows that were stored and are gone. */
  deletes: Array<{ application: string; clusterId: string }>;
  driftDeletes: Array<{ application: string; clusterId: string; resourceKey: string }>;
  driftInserts: Array<{
    application: string;
    clusterId: string;
    resourceKey: string;
    resource: unknown;
    since: string;
  }>;
}

const pairKey = (application: string, clusterId: string) => `${application}\u0000${clusterId}`;

/**
 * The application status rules as a fold over a slice of the read model: the rows and drift
 * a batch of events can touch are loaded into it, every event of the batch is applied in
 * memory, and `changes()` says what to write, each touched row once. Pure: no I/O.
 *
 * The slice must hold, for every cluster named by a DesiredStateAssigned or
 * ClusterDeregistered of the batch, all its rows, and for every other (application,
 * cluster) the batch names, its row if stored; and the drift of every row it holds. Drift
 * exists only beside a row (it is recorded only for an assigned application and leaves with
 * the row), so a row's drift is all the drift of its (application, cluster).
 */
export class ApplicationStatusSlice {
  /** clusterId -> application -> row. */
  private readonly rows = new Map<string, Map<string, StatusRow>>();
  /** pairKey -> resource key -> entry. */
  private readonly drift = new Map<string, Map<string, DriftEntry>>();
  private readonly storedRows: Array<{ application: string; clusterId: string }> = [];
  private readonly storedDrift: Array<{ application: string; clusterId: string; resourceKey: string }> = [];
  private readonly dirty = new Set<StatusRow>();

  /** Adds a row as stored (before any event is applied). */
  loadRow(row: StatusRow): void {
    this.clusterRows(row.clusterId).set(row.application, row);
    this.storedRows.push({ application: row.application, clusterId: row.clusterId });
  }

  /** Adds a drifted resource as stored (before any event is applied). */
  loadDrift(application: string, clusterId: string, key: string): void {
    this.pairDrift(application, clusterId).set(key, { recorded: false });
    this.storedDrift.push({ application, clusterId, resourceKey: key });
  }

  row(application: string, clusterId: string): StatusRow | undefined {
    return this.rows.get(clusterId)?.get(application);
  }

  /** Every row and drifted resource key the slice holds now (tests compare it with the tables). */
  snapshot(): { rows: StatusRow[]; drift: Array<{ application: string; clusterId: string; resourceKey: string }> } {
    const rows = [...this.rows.values()].flatMap((byApp) => [...byApp.values()]);
    const drift = rows.flatMap((r) =>
      [...(this.drift.get(pairKey(r.application, r.clusterId))?.keys() ?? [])].map((key) => ({
        application: r.application,
        clusterId: r.clusterId,
        resourceKey: key,
      })),
    );
    return { rows, drift };
  }

  apply(event: ApplicationStatusEvent, position: number): void {
    switch (event.type) {
      case 'DesiredStateAssigned': {
        const { clusterId, revision, applications } = event.data;
        const names = new Set(applications.map((a) => a.name));
        const byApp = this.clusterRows(clusterId);
        for (const application of [...byApp.keys()]) {
          if (!names.has(application)) this.removeRow(application, clusterId);
        }
        for (const app of applications) {
          const current = byApp.get(app.name);
          const sync = current ? syncAfterAssignment(current.sync, current.appliedBundle, app.bundleDigest) : 'pending';
          const row: StatusRow = current ?? {
            application: app.name,
            clusterId,
            desiredRevision: revision,
            desiredCommit: app.commit,
            desiredBundle: app.bundleDigest,
            appliedCommit: null,
            appliedBundle: null,
            sync,
            health: null,
            healthMessage: null,
            lastSyncAt: null,
            message: null,
            position,
          };
          Object.assign(row, {
            desiredRevision: revision,
            desiredCommit: app.commit,
            desiredBundle: app.bundleDigest,
            sync,
            position,
          });
          byApp.set(app.name, row);
          this.dirty.add(row);
        }
        break;
      }
      case 'ClusterDeregistered':
        for (const application of [...(this.rows.get(event.data.clusterId)?.keys() ?? [])]) {
          this.removeRow(application, event.data.clusterId);
        }
        break;
      case 'SyncStarted':
        this.update(event.data.application, event.data.clusterId, { sync: 'syncing', position });
        break;
      case 'SyncSucceeded': {
        const d = event.data;
        const row = this.row(d.application, d.clusterId);
        if (!row) break;
        this.update(d.application, d.clusterId, {
          appliedCommit: d.commit || null,
          appliedBundle: d.bundleDigest,
          sync: syncAfterSuccess(d.bundleDigest, row.desiredBundle),
          lastSyncAt: d.at,
          message: null,
          position,
        });
        // Drift of an object the bundle no longer has is over: the agent stopped watching it.
        const kept = new Set((d.resources ?? []).filter((r) => r.action !== 'pruned').map((r) => resourceKey(r.ref)));
        const drift = this.drift.get(pairKey(d.application, d.clusterId));
        for (const key of [...(drift?.keys() ?? [])]) if (!kept.has(key)) drift!.delete(key);
        break;
      }
      case 'SyncFailed':
        this.update(event.data.application, event.data.clusterId, {
          sync: 'failed',
          lastSyncAt: event.data.at,
          message: event.data.message,
          position,
        });
        break;
      case 'HealthChanged':
        // Resource health is detail for the history; the view shows the application's.
        if (event.data.resource) break;
        this.update(event.data.application, event.data.clusterId, {
          health: event.data.status,
          healthMessage: event.data.message || null,
          position,
        });
        break;
      case 'DriftDetected': {
        const d = event.data;
        if (!this.row(d.application, d.clusterId)) break;
        const drift = this.pairDrift(d.application, d.clusterId);
        const key = resourceKey(d.resource);
        // An open drift keeps the time it was first detected.
        if (!drift.has(key)) drift.set(key, { recorded: true, resource: d.resource, since: d.at });
        break;
      }
      case 'DriftCorrected':
      case 'DriftResolved':
        this.drift.get(pairKey(event.data.application, event.data.clusterId))?.delete(resourceKey(event.data.resource));
        break;
      case 'ApplicationRemoved':
        // Normally the row left with the assignment; if it is still assigned, nothing runs there now.
        this.drift.get(pairKey(event.data.application, event.data.clusterId))?.clear();
        this.update(event.data.application, event.data.clusterId, {
          appliedCommit: null,
          appliedBundle: null,
          health: null,
          healthMessage: null,
          sync: 'pending',
          position,
        });
        break;
    }
  }

  /** What to write so that the tables hold what the slice holds now. */
  changes(): ApplicationStatusChanges {
    const deletes = this.storedRows.filter((r) => this.row(r.application, r.clusterId) === undefined);
    const upserts = [...this.dirty].filter((r) => this.row(r.application, r.clusterId) === r);
    const driftDeletes = this.storedDrift.filter(
      (d) => this.drift.get(pairKey(d.application, d.clusterId))?.get(d.resourceKey)?.recorded !== false,
    );
    const driftInserts: ApplicationStatusChanges['driftInserts'] = [];
    for (const row of [...this.rows.values()].flatMap((byApp) => [...byApp.values()])) {
      for (const [key, entry] of this.drift.get(pairKey(row.application, row.clusterId)) ?? []) {
        if (entry.recorded) {
          driftInserts.push({
            application: row.application,
            clusterId: row.clusterId,
            resourceKey: key,
            resource: entry.resource,
            since: entry.since,
          });
        }
      }
    }
    return { upserts, deletes, driftDeletes, driftInserts };
  }

  private update(application: string, clusterId: string, change: Partial<StatusRow>): void {
    const row = this.row(application, clusterId);
    if (!row) return;
    Object.assign(row, change);
    this.dirty.add(row);
  }

  private removeRow(application: string, clusterId: string): void {
    this.rows.get(clusterId)?.delete(application);
    this.drift.delete(pairKey(application, clusterId));
  }

  private clusterRows(clusterId: string): Map<string, StatusRow> {
    let byApp = this.rows.get(clusterId);
    if (!byApp) {
      byApp = new Map();
      this.rows.set(clusterId, byApp);
    }
    return byApp;
  }

  private pairDrift(application: string, clusterId: string): Map<string, DriftEntry> {
    const key = pairKey(application, clusterId);
    let drift = this.drift.get(key);
    if (!drift) {
      drift = new Map();
      this.drift.set(key, drift);
    }
    return drift;
  }
}
