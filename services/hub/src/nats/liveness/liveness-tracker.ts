import { createHash } from 'node:crypto';

/**
 * What the hub believes about each cluster's connection, from the log (transitions) and
 * from heartbeats (last seen, in memory only). Pure: time is passed in. It says when a
 * transition is due, and which transition of the cluster it would be: the caller appends it
 * under the id that number gives (`livenessEventId`), so of several replicas deciding the
 * same transition only one records it.
 */
/** `pending`: registered, no heartbeat yet (as the API shows it). `absent`: heartbeats for a cluster id the log does not know (yet); ignored until it is registered. */
export type Connection = 'pending' | 'connected' | 'disconnected' | 'deregistered' | 'absent';

interface Entry {
  connection: Connection;
  /** ms since epoch of the last heartbeat this hub received. */
  lastSeen?: number;
  /** When this hub began watching the cluster: a connected cluster it never heard from is judged from here. */
  watchedSince: number;
  /** ClusterConnected and ClusterDisconnected events of the cluster in the log, as far as this hub knows. */
  transitions: number;
  /** Positions of transitions this hub appended and folded in before the log tail delivered them. */
  ownAhead: Set<number>;
  /** Time since the last heartbeat during which the hub itself did not run (not silence). */
  paused: number;
}

export interface LogTransition {
  type: 'ClusterRegistered' | 'ClusterConnected' | 'ClusterDisconnected' | 'ClusterDeregistered';
  clusterId: string;
  position: number;
}

export class LivenessTracker {
  private readonly clusters = new Map<string, Entry>();
  /** Position of the last log event delivered (the tail delivers in position order). */
  private delivered = 0;

  constructor(private readonly options: { heartbeatIntervalMs: number; missedHeartbeats: number }) {}

  /** Silence longer than this means offline. */
  get windowMs(): number {
    return this.options.heartbeatIntervalMs * this.options.missedHeartbeats;
  }

  private entry(clusterId: string, now: number): Entry {
    let e = this.clusters.get(clusterId);
    if (!e) {
      e = { connection: 'absent', watchedSince: now, transitions: 0, ownAhead: new Set(), paused: 0 };
      this.clusters.set(clusterId, e);
    }
    return e;
  }

  /**
   * Folds an event of the log, delivered in position order (this hub's or another
   * replica's). An event delivered twice, or one this hub already folded when it appended it,
   * counts once. True when the event changed what the hub knows.
   */
  applyLogEvent(event: LogTransition, now: number): boolean {
    if (event.position <= this.delivered) return false;
    this.delivered = event.position;
    const e = this.entry(event.clusterId, now);
    if (e.ownAhead.delete(event.position)) return false;
    switch (event.type) {
      case 'ClusterRegistered':
        if (e.connection === 'absent') e.connection = 'pending';
        break;
      case 'ClusterConnected':
      case 'ClusterDisconnected':
        e.transitions += 1;
        if (e.connection !== 'deregistered')
          e.connection = event.type === 'ClusterConnected' ? 'connected' : 'disconnected';
        break;
      case 'ClusterDeregistered':
        e.connection = 'deregistered';
        break;
    }
    return true;
  }

  /** Folds a transition this hub appended at `position`, without waiting for the log tail to deliver it. */
  recorded(clusterId: string, to: 'connected' | 'disconnected', position: number, now: number): void {
    if (position <= this.delivered) return;
    const e = this.entry(clusterId, now);
    e.ownAhead.add(position);
    e.transitions += 1;
    if (e.connection !== 'deregistered') e.connection = to;
  }

  /** Sets the belief directly (a cluster id the caller knows the log lacks). */
  setConnection(clusterId: string, connection: Connection, now: number): void {
    this.entry(clusterId, now).connection = connection;
  }

  connection(clusterId: string): Connection | undefined {
    return this.clusters.get(clusterId)?.connection;
  }

  lastSeen(clusterId: string): number | undefined {
    return this.clusters.get(clusterId)?.lastSeen;
  }

  /** The number the cluster's next transition takes (1 for its first). */
  nextTransition(clusterId: string): number {
    return (this.clusters.get(clusterId)?.transitions ?? 0) + 1;
  }

  /** Whether appending `to` now is a transition (the belief may have moved since it was found due). */
  isDue(clusterId: string, to: 'connected' | 'disconnected'): boolean {
    const connection = this.clusters.get(clusterId)?.connection;
    return to === 'connected' ? connection === 'pending' || connection === 'disconnected' : connection === 'connected';
  }

  /** Records a heartbeat; true when the cluster should now be recorded as connected. */
  heartbeat(clusterId: string, at: number): boolean {
    const e = this.entry(clusterId, at);
    e.lastSeen = Math.max(e.lastSeen ?? 0, at);
    e.paused = 0;
    return e.connection === 'pending' || e.connection === 'disconnected';
  }

  /**
   * The hub did not run for `ms` (stopped, starved, its loop blocked): it could not hear
   * anyone, so that time is not silence. Every cluster's clock moves forward by it.
   */
  pause(ms: number): void {
    for (const e of this.clusters.values()) e.paused += ms;
  }

  /** Clusters believed connected that have been silent for longer than the window. */
  silent(now: number): Array<{ clusterId: string; lastSeen?: number }> {
    const due: Array<{ clusterId: string; lastSeen?: number }> = [];
    for (const [clusterId, e] of this.clusters) {
      if (e.connection !== 'connected') continue;
      const since = (e.lastSeen ?? e.watchedSince) + e.paused;
      if (now - since > this.windowMs)
        due.push({ clusterId, ...(e.lastSeen !== undefined ? { lastSeen: e.lastSeen } : {}) });
    }
    return due;
  }
}

/**
 * The event id of the cluster's `n`th liveness transition: the same on every replica, so the
 * event store's unique id turns a second recording of it into DuplicateEventIdError. A
 * replica whose view of the log is behind computes an `n` already taken and records nothing.
 * A UUID (version 8, RFC 9562) over sha256 of the cluster id and `n`.
 */
export function livenessEventId(clusterId: string, n: number): string {
  const hex = createHash('sha256').update(`flotilla.liveness\u0000${clusterId}\u0000${n}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
