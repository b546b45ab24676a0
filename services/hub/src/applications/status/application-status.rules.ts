/**
 * The status rules of one application on one cluster, and the summary over clusters. Pure:
 * the projection stores what agents reported, these decide what a reader is told.
 */
export type ConnectionState = 'connected' | 'disconnected' | 'pending';
export type SyncState = 'pending' | 'syncing' | 'synced' | 'failed';
export type ReportedHealth = 'healthy' | 'progressing' | 'degraded' | 'missing';
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
  message: string | null;
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
export function resourceKey(ref: { apiVersion: string; kind: string; namespace?: string; name: string }): string {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  return `${group ? `${group}/` : ''}${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}
