import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { context as otelContext, trace } from '@opentelemetry/api';
import { allHeartbeatsSubject, clusterIdOfHeartbeatSubject, decodeMessage, HeartbeatSchema } from '@flotilla/contracts';
import { DuplicateEventIdError, type EventStore, type RecordedEvent } from '@flotilla/event-store';
import { Attr, extractTraceContext } from '@flotilla/telemetry';
import { EVENT_STORE } from '../../event-store.provider';
import { natsDurations } from '../../durations';
import { LogTail } from '../log-tail';
import { NATS_CONNECTION } from '../nats-connection';
import { NATS_CONFIG, type NatsConfig } from '../nats.config';
import { LivenessTracker, livenessEventId, type Connection, type LogTransition } from './liveness-tracker';

const transitionTypes = [
  'ClusterRegistered',
  'ClusterConnected',
  'ClusterDisconnected',
  'ClusterDeregistered',
] as const;
const clusterStreamId = (clusterId: string) => `cluster-${clusterId}`;
const actor = 'system:liveness';

/**
 * Turns heartbeats into ClusterConnected / ClusterDisconnected on the cluster's stream.
 * Heartbeats stay in memory; only transitions are appended. The state a transition is
 * decided on is the tracker's, fed by a tail of the four liveness types of the log (never a
 * read of the cluster's stream, which also holds all its status events). The append does not
 * check the stream's version (status traffic moves it all the time); instead the nth
 * transition of a cluster has a fixed event id, so when hub replicas (which all hear every
 * heartbeat) decide the same transition, the event store records it once and the others get
 * DuplicateEventIdError, and a replica behind the log cannot record a stale one.
 *
 * A transition racing the cluster's deregistration may land after it; every reader ignores
 * liveness after ClusterDeregistered (decider, clusters projection, this tracker).
 */
@Injectable()
export class LivenessService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Liveness');
  private readonly tracker: LivenessTracker;
  private readonly tail: LogTail;
  private subscription: Subscription | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  /** One transition at a time per cluster. */
  private readonly pending = new Map<string, Promise<void>>();
  /** Clusters whose transition another replica recorded first: quiet until the tail delivers it (or a poll passes). */
  private readonly settling = new Map<string, number>();
  private stopped = false;
  private readonly heartbeatIntervalMs: number;
  /** Clusters heard since the last flush of LAST SEEN, with their newest heartbeat time. */
  private heard = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(NATS_CONFIG) config: NatsConfig,
    // Optional so the replica tests can run the liveness logic alone; the hub always has it.
    @Optional() private readonly dataSource?: DataSource,
  ) {
    this.heartbeatIntervalMs = config.heartbeatIntervalMs;
    this.tracker = new LivenessTracker({
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      missedHeartbeats: config.missedHeartbeats,
    });
    this.tail = new LogTail(store, {
      name: 'LivenessTail',
      types: [...transitionTypes],
      pollMs: natsDurations.logTailPollMs,
      onEvents: (events) => this.onLogEvents(events),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tail.catchUp();
    this.tail.start();
    this.subscription = this.nc.subscribe(allHeartbeatsSubject(), {
      callback: (err, msg) => (err ? this.logger.error(err.message) : this.onHeartbeat(msg)),
    });
    // Half a heartbeat interval (bounded): the recorded offline time lags the window by little.
    const every = Math.min(natsDurations.livenessCheckMaxMs, Math.max(25, Math.floor(this.heartbeatIntervalMs / 2)));
    // A hub that did not run cannot have read heartbeats: when the check itself comes late (the
    // process was stopped, starved of CPU or its event loop blocked), the time it was late is
    // not counted against any cluster, and the heartbeats that queued up meanwhile are read
    // before the next check judges anyone.
    let due = Date.now() + every;
    const check = () => {
      if (this.stopped) return;
      const now = Date.now();
      const late = now - due;
      if (late > Math.max(every, natsDurations.livenessStallMinMs)) {
        this.tracker.pause(late);
        this.logger.warn(`the hub did not run for ${late} ms: that time is not counted as clusters' silence`);
      } else {
        for (const { clusterId, lastSeen } of this.tracker.silent(now)) {
          this.transition(clusterId, 'disconnected', lastSeen);
        }
      }
      due = Date.now() + every;
      this.checkTimer = setTimeout(check, every);
    };
    this.checkTimer = setTimeout(check, every);
    const flush = () => {
      if (this.stopped) return;
      this.flushing = this.flushLastSeen().finally(() => {
        if (!this.stopped) this.flushTimer = setTimeout(flush, natsDurations.lastSeenFlushMs);
      });
    };
    if (this.dataSource) this.flushTimer = setTimeout(flush, natsDurations.lastSeenFlushMs);
    this.logger.log(`watching heartbeats: offline after ${this.tracker.windowMs} ms of silence`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.checkTimer);
    clearTimeout(this.flushTimer);
    this.subscription?.unsubscribe();
    await this.flushing;
    await this.tail.stop();
    await Promise.allSettled([...this.pending.values()]);
  }

  /** This hub's belief about a cluster (tests, diagnostics). */
  connection(clusterId: string): Connection | undefined {
    return this.tracker.connection(clusterId);
  }

  private onLogEvents(events: RecordedEvent[]): void {
    const now = Date.now();
    for (const event of events) {
      const clusterId = (event.data as { clusterId?: unknown }).clusterId;
      if (typeof clusterId !== 'string') continue;
      const type = event.type as LogTransition['type'];
      if (!this.tracker.applyLogEvent({ type, clusterId, position: event.position }, now)) continue;
      this.settling.delete(clusterId);
      // Heartbeats that came before this hub read the registration were ignored; act on them now.
      const lastSeen = this.tracker.lastSeen(clusterId);
      if (type === 'ClusterRegistered' && lastSeen !== undefined && now - lastSeen <= this.tracker.windowMs) {
        this.transition(clusterId, 'connected', lastSeen);
      }
    }
  }

  private onHeartbeat(msg: Msg): void {
    const subjectClusterId = clusterIdOfHeartbeatSubject(msg.subject);
    if (!subjectClusterId) return;
    let heartbeat;
    try {
      heartbeat = decodeMessage(HeartbeatSchema, msg.data);
    } catch (err) {
      this.logger.warn(`ignoring a malformed heartbeat on ${msg.subject}: ${(err as Error).message}`);
      return;
    }
    // The subject is what NATS permissions vouch for; a body naming another cluster is forged.
    if (heartbeat.meta!.clusterId !== subjectClusterId) {
      this.logger.warn(`ignoring a heartbeat on ${msg.subject} that names cluster ${heartbeat.meta!.clusterId}`);
      return;
    }
    const now = Date.now();
    this.heard.set(subjectClusterId, now);
    if (this.tracker.heartbeat(subjectClusterId, now)) {
      const parent = extractTraceContext(msg.headers);
      otelContext.with(parent, () => this.transition(subjectClusterId, 'connected', now));
    }
  }

  /**
   * LAST SEEN of `clusters list`: the newest heartbeat, written to the clusters view in one
   * statement per flush (heartbeats are not events: the log holds only transitions). Only a
   * connected row moves, and never backwards (replicas flush the same beats; the projection
   * sets it on transitions). A failed flush is not retried: the next beats carry newer times.
   */
  private async flushLastSeen(): Promise<void> {
    if (this.heard.size === 0 || !this.dataSource) return;
    const batch = this.heard;
    this.heard = new Map();
    try {
      await this.dataSource.query(
        `UPDATE hub_clusters c SET last_seen_at = GREATEST(c.last_seen_at, k.at)
         FROM unnest($1::text[], $2::timestamptz[]) AS k(cluster_id, at)
         WHERE c.cluster_id = k.cluster_id AND c.connection = 'connected'`,
        [[...batch.keys()], [...batch.values()].map((t) => new Date(t).toISOString())],
      );
    } catch (err) {
      this.logger.warn(`could not record the last heartbeats: ${(err as Error).message}`);
    }
  }

  private transition(clusterId: string, to: 'connected' | 'disconnected', at: number | undefined): void {
    if (this.pending.has(clusterId) || this.stopped) return;
    if ((this.settling.get(clusterId) ?? 0) > Date.now()) return;
    const work = this.appendTransition(clusterId, to, at)
      .catch((err: unknown) =>
        this.logger.error(`recording cluster ${clusterId} as ${to} failed: ${(err as Error).message}`),
      )
      .finally(() => this.pending.delete(clusterId));
    this.pending.set(clusterId, work);
  }

  private async appendTransition(
    clusterId: string,
    to: 'connected' | 'disconnected',
    at: number | undefined,
  ): Promise<void> {
    if (!this.tracker.isDue(clusterId, to)) return;
    const span = trace
      .getTracer('flotilla-hub')
      .startSpan(`flotilla.liveness.${to}`, { attributes: { [Attr.clusterId]: clusterId } });
    try {
      const id = livenessEventId(clusterId, this.tracker.nextTransition(clusterId));
      const event =
        to === 'connected'
          ? { id, type: 'ClusterConnected', data: { clusterId, at: new Date(at ?? Date.now()).toISOString() } }
          : {
              id,
              type: 'ClusterDisconnected',
              data: { clusterId, lastSeenAt: at === undefined ? null : new Date(at).toISOString() },
            };
      try {
        const { positions } = await this.store.append(clusterStreamId(clusterId), [event], {
          expectedVersion: 'any',
          metadata: { actor },
        });
        this.tracker.recorded(clusterId, to, positions[0]!, Date.now());
        this.logger.log(`cluster ${clusterId} ${to}`);
      } catch (err) {
        if (!(err instanceof DuplicateEventIdError)) throw err;
        // Another replica recorded this transition (or this hub's view is behind): the tail
        // brings the log's word shortly; deciding again before would only hit the same id.
        this.settling.set(clusterId, Date.now() + natsDurations.logTailPollMs);
      }
    } finally {
      span.end();
    }
  }
}
