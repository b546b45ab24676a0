import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { context as otelContext, trace } from '@opentelemetry/api';
import { allHeartbeatsSubject, clusterIdOfHeartbeatSubject, decodeMessage, HeartbeatSchema } from '@flotilla/contracts';
import type { EventStore, RecordedEvent } from '@flotilla/event-store';
import { Attr, extractTraceContext } from '@flotilla/telemetry';
import { EVENT_STORE } from '../../event-store.provider';
import { natsDurations } from '../durations';
import { LogTail } from '../log-tail';
import { NATS_CONNECTION } from '../nats-connection';
import { NATS_CONFIG, type NatsConfig } from '../nats.config';
import { LivenessTracker, type Connection, type LogTransition } from './liveness-tracker';

const transitionTypes = [
  'ClusterRegistered',
  'ClusterConnected',
  'ClusterDisconnected',
  'ClusterDeregistered',
] as const;
/** A concurrent append (another replica, a label change) moved the stream: read and decide again. */
const maxAppendAttempts = 5;
const clusterStreamId = (clusterId: string) => `cluster-${clusterId}`;
const actor = 'system:liveness';

/**
 * Turns heartbeats into ClusterConnected / ClusterDisconnected on the cluster's stream.
 * Heartbeats stay in memory; only transitions are appended, each against the stream's
 * expected version so hub replicas (which all hear every heartbeat) never double-append.
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
  private stopped = false;
  private readonly heartbeatIntervalMs: number;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(NATS_CONFIG) config: NatsConfig,
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
    const check = () => {
      if (this.stopped) return;
      for (const { clusterId, lastSeen } of this.tracker.silent(Date.now())) {
        this.transition(clusterId, 'disconnected', lastSeen);
      }
      this.checkTimer = setTimeout(check, every);
    };
    this.checkTimer = setTimeout(check, every);
    this.logger.log(`watching heartbeats: offline after ${this.tracker.windowMs} ms of silence`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.checkTimer);
    this.subscription?.unsubscribe();
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
      if (typeof clusterId === 'string')
        this.tracker.applyLogEvent({ type: event.type as LogTransition['type'], clusterId }, now);
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
    if (this.tracker.heartbeat(subjectClusterId, now)) {
      const parent = extractTraceContext(msg.headers);
      otelContext.with(parent, () => this.transition(subjectClusterId, 'connected', now));
    }
  }

  private transition(clusterId: string, to: 'connected' | 'disconnected', at: number | undefined): void {
    if (this.pending.has(clusterId) || this.stopped) return;
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
    const span = trace
      .getTracer('flotilla-hub')
      .startSpan(`flotilla.liveness.${to}`, { attributes: { [Attr.clusterId]: clusterId } });
    try {
      for (let attempt = 1; attempt <= maxAppendAttempts; attempt++) {
        const streamId = clusterStreamId(clusterId);
        const events = await this.store.readStream(streamId);
        const current = foldConnection(events);
        if (current === 'absent' || current === 'deregistered' || current === to) {
          this.tracker.setConnection(clusterId, current, Date.now());
          return;
        }
        const event =
          to === 'connected'
            ? { type: 'ClusterConnected', data: { clusterId, at: new Date(at ?? Date.now()).toISOString() } }
            : {
                type: 'ClusterDisconnected',
                data: { clusterId, lastSeenAt: at === undefined ? null : new Date(at).toISOString() },
              };
        try {
          await this.store.append(streamId, [event], { expectedVersion: events.length, metadata: { actor } });
          this.tracker.setConnection(clusterId, to, Date.now());
          this.logger.log(`cluster ${clusterId} ${to}`);
          return;
        } catch (err) {
          if ((err as Error).name !== 'WrongExpectedVersionError') throw err;
        }
      }
      throw new Error(`the stream kept changing over ${maxAppendAttempts} attempts`);
    } finally {
      span.end();
    }
  }
}

/** The connection state a cluster's stream records. */
export function foldConnection(events: Array<Pick<RecordedEvent, 'type'>>): Connection {
  let state: Connection = 'absent';
  for (const event of events) {
    if (event.type === 'ClusterRegistered') state = 'unknown';
    else if (event.type === 'ClusterDeregistered') return 'deregistered';
    else if (event.type === 'ClusterConnected') state = 'connected';
    else if (event.type === 'ClusterDisconnected') state = 'disconnected';
  }
  return state;
}
