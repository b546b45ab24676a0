import type { ApplicationStatus, Cluster, ClusterApplicationStatus } from '@flotilla/api';

/**
 * One cell of the fleet matrix: what an application is doing on a cluster, reduced to the one
 * state a person should look at first. Offline wins over everything: a cluster the hub cannot
 * hear is never shown synced or healthy, whatever it last reported.
 */
export const cellStates = [
  'offline',
  'waiting',
  'failed',
  'drifted',
  'degraded',
  'syncing',
  'progressing',
  'synced',
] as const;
export type CellState = (typeof cellStates)[number];

export const cellLabels: Record<CellState, string> = {
  offline: 'Offline',
  waiting: 'No heartbeat yet',
  failed: 'Sync failed',
  drifted: 'Drifted',
  degraded: 'Degraded',
  syncing: 'Syncing',
  progressing: 'Progressing',
  synced: 'Synced',
};

export function cellState(cluster: Pick<Cluster, 'state'>, status: ClusterApplicationStatus): CellState {
  if (cluster.state === 'disconnected' || cluster.state === 'deregistered' || status.state === 'disconnected')
    return 'offline';
  if (cluster.state === 'pending' || status.state === 'pending') return 'waiting';
  if (status.sync === 'failed') return 'failed';
  if (status.drifted) return 'drifted';
  if (status.health === 'degraded' || status.health === 'missing') return 'degraded';
  if (status.sync === 'pending' || status.sync === 'syncing') return 'syncing';
  if (status.health !== 'healthy') return 'progressing';
  return 'synced';
}

export interface Matrix {
  clusters: Cluster[];
  applications: string[];
  /** `${clusterId}/${application}` -> the cluster's status for that application (absent: not targeted). */
  cells: Map<string, { status: ClusterApplicationStatus; state: CellState }>;
  counts: Record<CellState, number>;
  connection: Record<Cluster['state'], number>;
}

export function buildMatrix(clusters: Cluster[], statuses: ApplicationStatus[]): Matrix {
  const counts = Object.fromEntries(cellStates.map((s) => [s, 0])) as Record<CellState, number>;
  const connection: Record<Cluster['state'], number> = { connected: 0, disconnected: 0, pending: 0, deregistered: 0 };
  for (const c of clusters) connection[c.state]++;
  const byId = new Map(clusters.map((c) => [c.id, c]));
  const cells: Matrix['cells'] = new Map();
  for (const app of statuses) {
    for (const status of app.clusters) {
      const cluster = byId.get(status.clusterId);
      if (!cluster) continue; // filtered out by the label selector
      const state = cellState(cluster, status);
      counts[state]++;
      cells.set(`${status.clusterId}/${app.application}`, { status, state });
    }
  }
  return {
    clusters: [...clusters].sort((a, b) => a.name.localeCompare(b.name)),
    applications: statuses.map((s) => s.application).sort(),
    cells,
    counts,
    connection,
  };
}

export const short = (sha: string | null | undefined): string => (sha ? sha.slice(0, 8) : '—');

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}
