import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { context as otelContext, SpanStatusCode, trace } from '@opentelemetry/api';
import { Headers, parseStatusSubject } from '@flotilla/contracts';
import { DuplicateEventIdError, InvalidEventError, type EventMetadata, type EventStore } from '@flotilla/event-store';
import { Attr, extractTraceContext } from '@flotilla/telemetry';
import { durations } from '../durations';
import type { StatusConfig } from './status.config';
import { placeReport, reportPlaceOf, type ReportPlace } from './report-order';
import { decodeStatusReport, StatusReportRejectedError } from './status-event.mapping';

/** Whether a cluster may report: registered and not deregistered. */
export type ClusterStanding = 'registered' | 'deregistered' | 'unknown';

export interface ClusterDirectory {
  standing(clusterId: string): Promise<ClusterStanding>;
}

export interface StatusIngesterLogger {
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface StatusIngesterOptions {
  nc: NatsConnection;
  store: EventStore;
  clusters: ClusterDirectory;
  config: StatusConfig;
  logger: StatusIngesterLogger;
  /** Tests shorten them. */
  nakDelayMs?: number;
  ackWaitMs?: number;
  holdDelayMs?: number;
  gapWaitMs?: number;
  restartMs?: number;
}

export const STATUS_REJECTIONS_STREAM = 'status-rejections';
const clusterStreamId = (clusterId: string) => `cluster-${clusterId}`;
/** Events read per step when looking back for a cluster's last recorded report. */
const placeReadPage = 64;
/** Held reports remembered before old entries are swept. */
const maxWaiting = 10_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface IngestionStats {
  appended: number;
  duplicates: number;
  rejected: number;
  retried: number;
  /** Deliveries put back to wait for a missing predecessor. */
  held: number;
  /** Reports recorded after a later one of their cluster (a gap was accepted before they came). */
  late: number;
}

/**
 * Moves agents' status reports from the FLOTILLA_STATUS stream into the log. One durable pull
 * consumer is shared by every hub replica, so each report is handled by one of them; a report
 * is acknowledged only after its event is committed in Postgres (its event id is derived from
 * the cluster and the report id, so a redelivery hits DuplicateEventIdError on the same stream
 * and type, appends nothing and is acknowledged; the same id held by another report is an
 * attempt, refused and recorded), is
 * retried later (nak with delay) when the database fails, and is recorded as StatusRejected
 * and terminated when it can never become an event, so a bad report never blocks the stream.
 */
export class StatusIngester {
  private messages: ConsumerMessages | undefined;
  /** Per cluster, the place of the last report recorded in order (report-order.ts). */
  private readonly places = new Map<string, ReportPlace | undefined>();
  /** The place of the report being handled (one at a time), for reject(). */
  private refusedAt: { clusterId: string; place: ReportPlace } | undefined;
  /** Reports held for a missing predecessor, and since when (this process's clock). */
  private readonly waiting = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private stopped = false;
  readonly stats: IngestionStats = { appended: 0, duplicates: 0, rejected: 0, retried: 0, held: 0, late: 0 };

  constructor(private readonly options: StatusIngesterOptions) {}

  /** Creates (or updates) the stream and the shared consumer; idempotent across replicas and restarts. */
  async ensureStream(): Promise<void> {
    const { config } = this.options;
    const jsm = await jetstreamManager(this.options.nc);
    const streamConfig = {
      name: config.stream,
      subjects: config.subjects,
      duplicate_window: nanos(durations.statusDuplicateWindowMs),
    };
    const existing = await streamInfo(jsm, config.stream);
    if (!existing) {
      try {
        await jsm.streams.add(streamConfig);
      } catch (err) {
        // Another replica created it between our look and our add.
        if (!(await streamInfo(jsm, config.stream))) throw err;
      }
    } else if (
      existing.config.duplicate_window < streamConfig.duplicate_window ||
      [...existing.config.subjects].sort().join(',') !== [...config.subjects].sort().join(',')
    ) {
      await jsm.streams.update(config.stream, { ...existing.config, ...streamConfig });
    }
    await jsm.consumers.add(config.stream, {
      durable_name: config.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.options.ackWaitMs ?? durations.statusAckWaitMs),
      // Never give up on a report: a database outage may last; rejections are terminated explicitly.
      max_deliver: -1,
    });
  }

  /** Starts consuming in the background (after ensureStream). */
  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    const { config, logger } = this.options;
    const js = jetstream(this.options.nc);
    while (!this.stopped) {
      try {
        const consumer = await js.consumers.get(config.stream, config.consumer);
        this.messages = await consumer.consume({ max_messages: 64 });
        if (this.stopped) await this.messages.close();
        // One at a time, in delivery order: a cluster's reports are appended in the order sent.
        for await (const msg of this.messages) await this.handle(msg);
      } catch (err) {
        if (this.stopped) break;
        logger.error(`status consumer ${config.consumer} failed: ${(err as Error).message}; reopening`);
      }
      if (!this.stopped) await sleep(this.options.restartMs ?? durations.statusConsumerRestartMs);
    }
  }

  /** Handles one delivery; never throws (every outcome is an ack, a nak or a term). */
  async handle(msg: JsMsg): Promise<void> {
    const parent = extractTraceContext(msg.headers);
    const span = trace.getTracer('flotilla-hub').startSpan(
      'flotilla.status.ingest',
      {
        attributes: {
          [Attr.messagingSystem]: 'nats',
          [Attr.messagingDestination]: msg.subject,
          [Attr.messagingOperation]: 'process',
        },
      },
      parent,
    );
    try {
      await otelContext.with(trace.setSpan(parent, span), () => this.process(msg, span));
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      this.stats.retried += 1;
      this.options.logger.error(`status report on ${msg.subject} not recorded, retrying: ${(err as Error).message}`);
      msg.nak(this.options.nakDelayMs ?? durations.statusNakDelayMs);
    } finally {
      span.end();
    }
  }

  private async process(msg: JsMsg, span: ReturnType<ReturnType<typeof trace.getTracer>['startSpan']>): Promise<void> {
    const subject = parseStatusSubject(msg.subject);
    const place = reportPlaceOf(
      msg.headers?.get(Headers.outboxEpoch) || undefined,
      msg.headers?.get(Headers.outboxSequence) || undefined,
    );
    // A refused report takes its place in the order too: its successor must not wait for it.
    if (subject && place) this.refusedAt = { clusterId: subject.clusterId, place };
    else this.refusedAt = undefined;
    let decoded: ReturnType<typeof decodeStatusReport>;
    try {
      if (!subject) throw new StatusReportRejectedError('not a status subject');
      span.setAttribute(Attr.clusterId, subject.clusterId);
      decoded = decodeStatusReport(msg.data, subject.clusterId);
    } catch (err) {
      if (!(err instanceof StatusReportRejectedError)) throw err;
      return this.reject(msg, err);
    }
    span.setAttribute(Attr.messageId, decoded.reportId);
    const clusterId = subject.clusterId;
    const standing = await this.options.clusters.standing(clusterId);
    if (standing !== 'registered') {
      return this.reject(
        msg,
        new StatusReportRejectedError(
          `cluster ${clusterId} is ${standing === 'unknown' ? 'not registered' : 'deregistered'}`,
          {
            messageId: decoded.reportId,
            clusterId,
          },
        ),
      );
    }
    let late = false;
    if (place) {
      const verdict = await this.order(clusterId, place);
      if (verdict === 'hold') {
        this.stats.held += 1;
        msg.nak(this.options.holdDelayMs ?? durations.statusHoldDelayMs);
        return;
      }
      late = verdict === 'seen';
    }
    // The report id is kept as the causation: the message that caused the event.
    const metadata: EventMetadata = {
      actor: `agent:${clusterId}`,
      causationId: decoded.reportId,
      ...(place ? { report: { epoch: place.epoch, seq: place.seq, ...(late ? { late: true as const } : {}) } } : {}),
      ...traceMetadata(msg),
    };
    const streamId = clusterStreamId(clusterId);
    try {
      await this.options.store.append(
        streamId,
        [{ id: decoded.id, type: decoded.event.type, data: decoded.event.data }],
        { expectedVersion: 'any', metadata },
      );
      this.stats.appended += 1;
      if (late) this.stats.late += 1;
      if (place && !late) this.recorded(clusterId, place);
    } catch (err) {
      if (err instanceof DuplicateEventIdError) {
        if (err.recorded?.streamId !== streamId || err.recorded.type !== decoded.event.type) {
          // The agent reused one of its report ids for another report: never taken as done.
          return this.reject(
            msg,
            new StatusReportRejectedError(`report id ${decoded.reportId} was already used for another report`, {
              messageId: decoded.reportId,
              clusterId,
            }),
          );
        }
        // Recorded by an earlier delivery whose ack was lost: nothing to do but acknowledge.
        this.stats.duplicates += 1;
      } else if (err instanceof InvalidEventError) {
        return this.reject(
          msg,
          new StatusReportRejectedError(`the event store refused the report: ${err.message}`, {
            messageId: decoded.reportId,
            clusterId,
          }),
        );
      } else {
        throw err;
      }
    }
    msg.ack();
  }

  /**
   * Where the report falls in its cluster's order (report-order.ts): `hold` while a
   * predecessor may still be in flight. The recorded place is this replica's memory, re-read
   * from the log when it would hold a report (another replica may have recorded since).
   */
  private async order(clusterId: string, place: ReportPlace): Promise<'next' | 'seen' | 'hold'> {
    if (!this.places.has(clusterId)) this.places.set(clusterId, await this.placeInLog(clusterId));
    let verdict = placeReport(this.places.get(clusterId), place);
    if (verdict === 'early') {
      this.places.set(clusterId, await this.placeInLog(clusterId));
      verdict = placeReport(this.places.get(clusterId), place);
    }
    const key = `${clusterId}/${place.epoch}/${place.seq}`;
    if (verdict !== 'early') {
      this.waiting.delete(key);
      return verdict;
    }
    const now = Date.now();
    if (this.waiting.size > maxWaiting) {
      // Reports another replica recorded meanwhile never come back here: forget the old ones.
      for (const [k, t] of this.waiting)
        if (now - t > 2 * (this.options.gapWaitMs ?? durations.statusGapWaitMs)) this.waiting.delete(k);
    }
    const since = this.waiting.get(key) ?? now;
    this.waiting.set(key, since);
    if (now - since < (this.options.gapWaitMs ?? durations.statusGapWaitMs)) return 'hold';
    // Waited past any redelivery: the predecessor is not coming (refused, or never journaled).
    this.waiting.delete(key);
    this.options.logger.warn(
      `cluster ${clusterId}: accepting a gap before report ${place.seq} (recorded up to ${this.places.get(clusterId)?.seq ?? 'nothing'})`,
    );
    return 'next';
  }

  private recorded(clusterId: string, place: ReportPlace): void {
    this.places.set(clusterId, place);
  }

  /** The place of the cluster's last report recorded in order, read back from its stream. */
  private async placeInLog(clusterId: string): Promise<ReportPlace | undefined> {
    const streamId = clusterStreamId(clusterId);
    let to = await this.options.store.streamVersion(streamId);
    while (to > 0) {
      const from = Math.max(1, to - placeReadPage + 1);
      const events = await this.options.store.readStream(streamId, { fromVersion: from, limit: to - from + 1 });
      for (let i = events.length - 1; i >= 0; i--) {
        const report = events[i]!.metadata.report;
        if (report && !report.late) return { epoch: report.epoch, seq: report.seq };
      }
      to = from - 1;
    }
    return undefined;
  }

  /** Records why (never the body), then terminates the message so it is not redelivered. */
  private async reject(msg: JsMsg, rejection: StatusReportRejectedError): Promise<void> {
    const data: Record<string, string> = { subject: msg.subject, reason: rejection.reason };
    if (rejection.details.messageId) data.messageId = rejection.details.messageId;
    if (rejection.details.clusterId) data.clusterId = rejection.details.clusterId;
    // A failure here throws: the message is nak'ed and retried, so no rejection goes unrecorded.
    await this.options.store.append(STATUS_REJECTIONS_STREAM, [{ type: 'StatusRejected', data }], {
      expectedVersion: 'any',
      metadata: { actor: 'system:status-ingestion', ...traceMetadata(msg) },
    });
    this.stats.rejected += 1;
    if (this.refusedAt) {
      const { clusterId, place } = this.refusedAt;
      if (placeReport(this.places.get(clusterId), place) === 'next') this.recorded(clusterId, place);
    }
    this.options.logger.warn(`rejected a status report on ${msg.subject}: ${rejection.reason}`);
    // No reason payload: nats-server 2.9 recognises only a bare +TERM (the reason is in the log).
    msg.term();
  }
}

async function streamInfo(jsm: JetStreamManager, name: string) {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return undefined;
    throw err;
  }
}

function traceMetadata(msg: JsMsg): Partial<EventMetadata> {
  const out: Partial<EventMetadata> = {};
  const traceparent = msg.headers?.get(Headers.traceparent);
  const tracestate = msg.headers?.get(Headers.tracestate);
  if (traceparent) out.traceparent = traceparent;
  if (tracestate) out.tracestate = tracestate;
  return out;
}
