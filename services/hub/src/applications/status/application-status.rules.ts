import type { HealthStatus } from '@flotilla/domain';

/**
 * The status rules of one application on one cluster, and the summary over clusters. Pure:
 * the projection stores what agents reported, these decide what a reader is told.
 */
export type ConnectionState = 'connected' | 'disconnected' | 'pending';
export type SyncState = 'pending' | 'syncing' | 'synced' | 'failed';
/** The health an agent reported (the status events' HealthStatus). */
export type ReportedHealth = HealthStatus;
export type EffectiveHealth = ReportedHealth | 'unknown';

export interface ClusterApplicationStatus {
  clusterId: string;
  clusterName: string;
  state: ConnectionState;
  desiredRevision: number | null;
  desiredCommit: string | null;
  desiredBundle: string | null;
  appliedCommit: string | null;
  appliedBundle: string | null;
  sync: SyncState;
  health: EffectiveHealth;
  drifted: boolean;
  driftedResources: number;
  lastSyncAt: string | null;
  /** Why the last sync failed (null once a sync succeeds). */
  message: string | null;
  /** Why the health is what it is, as the agent last reported it. */
  healthMessage: string | null;
}

export interface RenderError {
  file: string | null;
  documentIndex: number | null;
  code: string;
  reason: string;
}

/** A render outcome of the application, as recorded on its stream (RevisionRendered / RenderFailed). */
export type RenderOutcome =
  | { type: 'RevisionRendered'; commit: string; clusterId: string; at: string }
  | { type: 'RenderFailed'; commit: string; clusterId: string | null; errors: RenderError[]; at: string };

/** What the hub did with the application's commits: the newest it saw, and whether the newest it tried rendered. */
export interface RenderStatus {
  /** The newest commit the hub has seen on the application's source (branch head), if any. */
  sourceCommit: string | null;
  pinnedCommit: string | null;
  /** The commit of the newest render outcome, or null when nothing was rendered or tried yet. */
  commit: string | null;
  state: 'rendered' | 'failed' | 'none';
  /** When state is `failed`: which cluster (null: all of them), and why. */
  failure: {
    commit: string;
    clusterId: string | null;
    clusterName: string | null;
    errors: RenderError[];
    at: string;
  } | null;
}

/**
 * Whether the newest render attempt failed, from the outcomes newest first. A failure stops
 * being current once a later render succeeded for another commit (a fix, a pin, a revert),
 * or for the same commit on the cluster it failed for (a cluster-specific failure fixed by
 * an application edit). Renders of the same commit on other clusters do not clear it: if any
 * cluster fails a commit, no cluster moves to it.
 */
export function renderState(newestFirst: readonly RenderOutcome[]): Pick<RenderStatus, 'commit' | 'state'> & {
  failure: Extract<RenderOutcome, { type: 'RenderFailed' }> | null;
} {
  const newest = newestFirst[0];
  if (!newest) return { commit: null, state: 'none', failure: null };
  const failedAt = newestFirst.findIndex((o) => o.type === 'RenderFailed');
  if (failedAt < 0) return { commit: newest.commit, state: 'rendered', failure: null };
  const failure = newestFirst[failedAt] as Extract<RenderOutcome, { type: 'RenderFailed' }>;
  const cleared = newestFirst
    .slice(0, failedAt)
    .some(
      (o) =>
        o.type === 'RevisionRendered' &&
        (o.commit !== failure.commit || (failure.clusterId !== null && o.clusterId === failure.clusterId)),
    );
  return cleared
    ? { commit: newest.commit, state: 'rendered', failure: null }
    : { commit: failure.commit, state: 'failed', failure };
}

export interface ApplicationStatusSummary {
  clusters: number;
  synced: number;
  healthy: number;
  drifted: number;
  offline: number;
  failed: number;
}

/**
 * What a reader may believe of an application's health: only what a connected agent
 * reported. An offline (or never seen) cluster is `unknown`, never its last good word.
 */
export function effectiveHealth(state: ConnectionState, reported: ReportedHealth | null): EffectiveHealth {
  if (state !== 'connected' || reported === null) return 'unknown';
  return reported;
}

/** The sync state once the agent reports success: synced only if it applied what is desired now. */
export function syncAfterSuccess(appliedBundle: string, desiredBundle: string | null): SyncState {
  return desiredBundle === null || appliedBundle === desiredBundle ? 'synced' : 'pending';
}

/** The sync state when a new assignment arrives: a bundle already applied stays synced, anything else waits. */
export function syncAfterAssignment(
  current: SyncState,
  appliedBundle: string | null,
  desiredBundle: string,
): SyncState {
  if (appliedBundle === desiredBundle) return current === 'syncing' ? 'syncing' : 'synced';
  return current === 'syncing' ? 'syncing' : 'pending';
}

export function summarize(clusters: readonly ClusterApplicationStatus[]): ApplicationStatusSummary {
  return {
    clusters: clusters.length,
    synced: clusters.filter((c) => c.sync === 'synced').length,
    healthy: clusters.filter((c) => c.health === 'healthy').length,
    drifted: clusters.filter((c) => c.drifted).length,
    offline: clusters.filter((c) => c.state === 'disconnected').length,
    failed: clusters.filter((c) => c.sync === 'failed').length,
  };
}

/** The key of a drifted resource: group (not version), kind, namespace, name, like libs/kube's refKey. */
export { resourceKey } from '@flotilla/domain';
