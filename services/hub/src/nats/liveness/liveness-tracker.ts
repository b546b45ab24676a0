/**
 * What the hub believes about each cluster's connection, from the log (transitions) and
 * from heartbeats (last seen, in memory only). Pure: time is passed in. It says when a
 * transition is due; the caller checks the stream and appends it.
 */
/** `absent`: heartbeats for a cluster id the log does not know (yet); ignored until it is registered. */
export type Connection = 'unknown' | 'connected' | 'disconnected' | 'deregistered' | 'absent';

interface Entry {
  connection: Connection;
  /** ms since epoch of the last heartbeat this hub received. */
  lastSeen?: number;
  /** When this hub began watching the cluster: a connected cluster it never heard from is judged from here. */
  watchedSince: number;
}

export interface LogTransition {
  type: 'ClusterRegistered' | 'ClusterConnected' | 'ClusterDisconnected' | 'ClusterDeregistered';
  clusterId: string;
}

export class LivenessTracker {
  private readonly clusters = new Map<string, Entry>();

  constructor(private readonly options: { heartbeatIntervalMs: number; missedHeartbeats: number }) {}

  /** Silence longer than this means offline. */
  get windowMs(): number {
    return this.options.heartbeatIntervalMs * this.options.missedHeartbeats;
  }

  private entry(clusterId: string, now: number): Entry {
    let e = this.clusters.get(clusterId);
    if (!e) {
      e = { connection: 'unknown', watchedSince: now };
      this.clusters.set(clusterId, e);
    }
    return e;
  }

  /** Folds a recorded event into the belief (this hub's or another replica's). */
  applyLogEvent(event: LogTransition, now: number): void {
    const e = this.entry(event.clusterId, now);
    switch (event.type) {
      case 'ClusterRegistered':
        if (e.connection === 'absent') e.connection = 'unknown';
        break;
      case 'ClusterConnected':
        if (e.connection !== 'deregistered') e.connection = 'connected';
        break;
      case 'ClusterDisconnected':
        if (e.connection !== 'deregistered') e.connection = 'disconnected';
        break;
      case 'ClusterDeregistered':
        e.connection = 'deregistered';
        break;
    }
  }

  /** Sets the belief after the caller read the stream itself. */
  setConnection(clusterId: string, connection: Connection, now: number): void {
    this.entry(clusterId, now).connection = connection;
  }

  connection(clusterId: string): Connection | undefined {
    return this.clusters.get(clusterId)?.connection;
  }

  lastSeen(clusterId: string): number | undefined {
    return this.clusters.get(clusterId)?.lastSeen;
  }

  /** Records a heartbeat; true when the cluster should now be recorded as connected. */
  heartbeat(clusterId: string, at: number): boolean {
    const e = this.entry(clusterId, at);
    e.lastSeen = Math.max(e.lastSeen ?? 0, at);
    return e.connection === 'unknown' || e.connection === 'disconnected';
  }

  /** Clusters believed connected that have been silent for longer than the window. */
  silent(now: number): Array<{ clusterId: string; lastSeen?: number }> {
    const due: Array<{ clusterId: string; lastSeen?: number }> = [];
    for (const [clusterId, e] of this.clusters) {
      if (e.connection !== 'connected') continue;
      const since = e.lastSeen ?? e.watchedSince;
      if (now - since > this.windowMs)
        due.push({ clusterId, ...(e.lastSeen !== undefined ? { lastSeen: e.lastSeen } : {}) });
    }
    return due;
  }
}
