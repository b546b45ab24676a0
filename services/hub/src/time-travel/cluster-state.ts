import type { RecordedEvent } from '@flotilla/event-store';

/**
 * What a cluster was meant to run and had applied at a moment, and the plain replay that
 * defines it. The projection (cluster-state.projection.ts) answers the same question from
 * rows with validity intervals; the replay is the reference the tests hold it to.
 * Pure: no I/O, time passed in.
 */

/** The event types that change a cluster's state (stream `cluster-<id>`). */
export const clusterStateEventTypes = ['DesiredStateAssigned', 'SyncSucceeded', 'ApplicationRemoved'] as const;

export interface AssignedApplicationView {
  name: string;
  source: string;
  commit: string;
  bundleDigest: string;
  namespace?: string;
  policy: unknown;
}

export interface DesiredStateView {
  revision: number;
  /** When the hub recorded the assignment. */
  assignedAt: string;
  applications: AssignedApplicationView[];
}

export interface AppliedApplicationView {
  application: string;
  revision: number;
  commit: string;
  bundleDigest: string;
  /** When the agent finished the sync (its clock). */
  syncedAt: string | null;
  /** When the hub recorded it. */
  recordedAt: string;
}

export interface ClusterStateAt {
  clusterId: string;
  at: string;
  desired: DesiredStateView | null;
  /** Sorted by application; an application removed from the cluster is absent. */
  applied: AppliedApplicationView[];
}

/** One change of state, as the projection stores it and the replay folds it. */
export type StateChange =
  | { kind: 'desired'; slot: 'desired'; data: DesiredStateView }
  | { kind: 'applied'; slot: string; data: AppliedApplicationView }
  | { kind: 'removed'; slot: string; data: { application: string; pruned: boolean; removedAt: string | null } };

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const appSlot = (application: string) => `app:${application}`;

/** The state change an event makes, or undefined when it is not one (or is malformed). */
export function stateChangeOf(event: RecordedEvent): { clusterId: string; change: StateChange } | undefined {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const clusterId = str(data.clusterId);
  if (!clusterId) return undefined;
  const recordedAt = event.recordedAt.toISOString();
  switch (event.type) {
    case 'DesiredStateAssigned': {
      const applications = Array.isArray(data.applications) ? data.applications : [];
      return {
        clusterId,
        change: {
          kind: 'desired',
          slot: 'desired',
          data: {
            revision: num(data.revision),
            assignedAt: recordedAt,
            applications: applications.map((raw) => {
              const a = (raw ?? {}) as Record<string, unknown>;
              return {
                name: str(a.name) ?? '',
                source: str(a.source) ?? '',
                commit: str(a.commit) ?? '',
                bundleDigest: str(a.bundleDigest) ?? '',
                ...(str(a.namespace) ? { namespace: str(a.namespace)! } : {}),
                policy: a.policy ?? null,
              };
            }),
          },
        },
      };
    }
    case 'SyncSucceeded': {
      const application = str(data.application);
      if (!application) return undefined;
      return {
        clusterId,
        change: {
          kind: 'applied',
          slot: appSlot(application),
          data: {
            application,
            revision: num(data.revision),
            commit: str(data.commit) ?? '',
            bundleDigest: str(data.bundleDigest) ?? '',
            syncedAt: str(data.at),
            recordedAt,
          },
        },
      };
    }
    case 'ApplicationRemoved': {
      const application = str(data.application);
      if (!application) return undefined;
      return {
        clusterId,
        change: {
          kind: 'removed',
          slot: appSlot(application),
          data: { application, pruned: data.pruned === true, removedAt: str(data.at) },
        },
      };
    }
    default:
      return undefined;
  }
}

/** Builds the answer from the changes in force (one per slot at most). */
export function stateFromChanges(clusterId: string, at: Date, changes: Iterable<StateChange>): ClusterStateAt {
  let desired: DesiredStateView | null = null;
  const applied: AppliedApplicationView[] = [];
  for (const change of changes) {
    if (change.kind === 'desired') desired = change.data;
    else if (change.kind === 'applied') applied.push(change.data);
  }
  applied.sort((a, b) => (a.application < b.application ? -1 : a.application > b.application ? 1 : 0));
  return { clusterId, at: at.toISOString(), desired, applied };
}

/**
 * The reference answer: folds the cluster's events recorded at or before `at`, in log
 * order; the last change of each slot wins.
 */
export function replayClusterState(clusterId: string, events: readonly RecordedEvent[], at: Date): ClusterStateAt {
  const slots = new Map<string, StateChange>();
  const sorted = [...events].sort((a, b) => a.position - b.position);
  for (const event of sorted) {
    if (event.recordedAt.getTime() > at.getTime()) continue;
    const found = stateChangeOf(event);
    if (!found || found.clusterId !== clusterId) continue;
    slots.set(found.change.slot, found.change);
  }
  return stateFromChanges(clusterId, at, slots.values());
}
