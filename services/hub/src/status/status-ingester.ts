import { setTimeout as sleep } from 'node:timers/promises';
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
import {
  DuplicateEventIdError,
  InvalidEventError,
  type EventMetadata,
  type EventStore,
  type NewEvent,
} from '@flotilla/event-store';
import { Attr, extractTraceContext } from '@flotilla/telemetry';
import { durations } from '../durations';
import type { StatusConfig } from './status.config';
import { placeReport, reportPlaceOf, type ReportPlace } from './report-order';
import { decodeStatusReport, StatusReportRejectedError, type DecodedStatusReport } from './status-event.mapping';

/** Whether a cluster may report: registered and not deregistered. */
export type ClusterStanding = 'registered' | 'deregistered' | 'unknown';

export interface ClusterDirectory {
  standing(clusterId: string): Promise<ClusterStanding>;
  /** The standing of each cluster of a batch, in one look. */
  standings(clusterIds: readonly string[]): Promise<Map<string, ClusterStanding>>;
}

/** Where an event holding an id is. */
export interface RecordedReport {
  streamId: string;
  type: string;
}

/** What the log already holds of a batch's reports: one look per batch, so redeliveries cost little. */
export interface ReportLedger {
  /** Per cluster, the place (report-order.ts) of its last report recorded in order; absent: none. */
  lastPlaces(clusterIds: readonly string[]): Promise<Map<string, ReportPlace>>;
  /** Which of these event ids are recorded, and where. */
  recorded(ids: readonly string[]): Promise<Map<string, RecordedReport>>;
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
  ledger: ReportLedger;
  config: StatusConfig;
  logger: StatusIngesterLogger;
  /** Tests shorten them. */
  nakDelayMs?: number;
  ackWaitMs?: number;
  holdDelayMs?: number;
  gapWaitMs?: number;
  restartMs?: number;
  /** Reports per batch (one transaction), and how long a batch waits to fill once its first report is in. */
  batchMax?: number;
  batchWaitMs?: number;
}

export const STATUS_REJECTIONS_STREAM = 'status-rejections';
const clusterStreamId = (clusterId: string) => `cluster-${clusterId}`;
/** Held reports remembered before old entries are swept. */
const maxWaiting = 10_000;

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
 * consumer is shared by every hub replica, so each report is handled by one of them. Reports
 * are taken in batches (up to `batchMax`, or what came within `batchWaitMs`), decoded and
 * checked, and each batch is appended in one transaction (one lock, one hash-chain step per
 * event); then its reports are acknowledged, never before the commit. A report's event id is
 * derived from its cluster and report id (report-identity.ts), so a redelivery is found
 * already recorded (one indexed look per batch) and only acknowledged; the same id held by
 * another report is an attempt, refused and recorded. A cluster's reports are recorded in the
 * order its agent sent them (report-order.ts); one that comes ahead of a missing predecessor
 * is put back until the predecessor is in. A report that can never become an event is
 * recorded as StatusRejected (in the same transaction) and terminated, so a bad report never
 * blocks the batch or the stream; a batch the database refuses is retried later (nak).
 */
export class StatusIngester {
  private messages: ConsumerMessages | undefined;
  /** Per cluster, the place of the last report recorded in order (report-order.ts); null: none. */
  private readonly places = new Map<string, ReportPlace | null>();
  /** Clusters known to be registered, until when: a batch of 1,000 clusters needs no look each time. */
  private readonly registered = new Map<string, number>();
  /** Reports held for a missing predecessor, and since when (this process's clock). */
  private readonly waiting = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private readonly batchMax: number;
  private readonly batchWaitMs: number;
  readonly stats: IngestionStats = { appended: 0, duplicates: 0, rejected: 0, retried: 0, held: 0, late: 0 };

  constructor(private readonly options: StatusIngesterOptions) {
    this.batchMax = options.batchMax ?? statusBatchMax;
    this.batchWaitMs = options.batchWaitMs ?? durations.statusBatchWaitMs;
  }

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
        this.messages = await consumer.consume({ max_messages: 2 * this.batchMax });
        // Not awaited: close() resolves only once the iterator below has drained its stop
        // marker, so awaiting it here (stop() ran while consume() was opening) never returns.
        if (this.stopped) void this.messages.close();
        await this.drain(this.messages);
      } catch (err) {
        if (this.stopped) break;
        logger.error(`status consumer ${config.consumer} failed: ${(err as Error).message}; reopening`);
      }
      if (!this.stopped)
        await sleep(this.options.restartMs ?? durations.statusConsumerRestartMs, undefined, { ref: false });
    }
  }

  /**
   * Batches the deliveries: a pump moves them into `buffered` (pausing at two batches, so the
   * consumer stops pulling and nothing waits unacknowledged for long), the handler takes up to
   * `batchMax` at a time, waiting `batchWaitMs` for a batch to fill when the stream is quiet.
   */
  private async drain(messages: ConsumerMessages): Promise<void> {
    const buffered: JsMsg[] = [];
    let ended = false;
    let failure: unknown;
    let wakeHandler: (() => void) | undefined;
    let wakePump: (() => void) | undefined;
    const wake = () => {
      wakeHandler?.();
      wakeHandler = undefined;
    };
    const pump = (async () => {
      try {
        for await (const msg of messages) {
          buffered.push(msg);
          if (buffered.length === 1 || buffered.length >= this.batchMax) wake();
          while (buffered.length >= 2 * this.batchMax && !this.stopped)
            await new Promise<void>((resolve) => (wakePump = resolve));
        }
      } catch (err) {
        failure = err;
      } finally {
        ended = true;
        wake();
      }
    })();
    while (!(ended && buffered.length === 0)) {
      if (buffered.length === 0) {
        await new Promise<void>((resolve) => (wakeHandler = resolve));
        continue;
      }
      if (buffered.length < this.batchMax && !ended) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.batchWaitMs);
          wakeHandler = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeHandler = undefined;
      }
      const batch = buffered.splice(0, this.batchMax);
      wakePump?.();
      wakePump = undefined;
      if (this.stopped) {
        // Not handled: redelivered to another replica (or to this one after a restart).
        for (const msg of batch) msg.nak();
        continue;
      }
      await this.handleBatch(batch);
    }
    await pump;
    if (failure) throw failure;
  }

  /** Handles one batch of deliveries; never throws (every delivery ends acked, nak'ed or terminated). */
  async handleBatch(msgs: readonly JsMsg[]): Promise<void> {
    const span = trace.getTracer('flotilla-hub').startSpan(
      'flotilla.status.ingest',
      {
        attributes: {
          [Attr.messagingSystem]: 'nats',
          [Attr.messagingOperation]: 'process',
          [Attr.messagingBatchSize]: msgs.length,
        },
      },
      // The batch's work continues the trace of its first report; each event keeps its own.
      extractTraceContext(msgs[0]?.headers),
    );
    try {
      await otelContext.with(trace.setSpan(otelContext.active(), span), () => this.ingest(msgs));
    } catch (err) {
      if (err instanceof InvalidEventError && msgs.length > 1) {
        // One report the store refuses must not hold back the others: one batch each, in order.
        for (const msg of msgs) await this.handleBatch([msg]);
        return;
      }
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      this.stats.retried += msgs.length;
      this.options.logger.error(`${msgs.length} status report(s) not recorded, retrying: ${(err as Error).message}`);
      for (const msg of msgs) msg.nak(this.options.nakDelayMs ?? durations.statusNakDelayMs);
    } finally {
      span.end();
    }
  }

  private async ingest(msgs: readonly JsMsg[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ingestOnce(msgs);
      } catch (err) {
        // Another replica recorded one of these reports between our look and our append: look again.
        if (err instanceof DuplicateEventIdError && attempt < 3) continue;
        if (err instanceof InvalidEventError && msgs.length === 1) {
          return this.ingestOnce(msgs, `the event store refused the report: ${err.message}`);
        }
        throw err;
      }
    }
  }

  /** Decides every delivery of the batch, appends in one transaction, then settles them. `refuse`: reject them all. */
  private async ingestOnce(msgs: readonly JsMsg[], refuse?: string): Promise<void> {
    const items = msgs.map((msg) => this.decode(msg, refuse));
    await this.checkStandings(items);
    const decided = items.filter((i) => i.verdict === undefined && i.decoded);
    const recorded = await this.options.ledger.recorded(decided.map((i) => i.decoded!.id));
    await this.loadPlaces(items);

    const places = new Map(this.places);
    const ids = new Map<string, RecordedReport>(recorded);
    for (const item of orderForDecision(items)) {
      if (item.verdict !== undefined || !item.decoded) continue;
      const { decoded, clusterId, place } = item as Required<Pick<Item, 'decoded' | 'clusterId'>> & Item;
      const streamId = clusterStreamId(clusterId);
      const held = ids.get(decoded.id);
      if (held) {
        if (held.streamId === streamId && held.type === decoded.event.type) {
          item.verdict = 'duplicate';
          if (place && placeReport(places.get(clusterId) ?? undefined, place) === 'next') places.set(clusterId, place);
        } else {
          // The agent reused one of its report ids for another report: never taken as done.
          item.verdict = 'reject';
          item.rejection = new StatusReportRejectedError(
            `report id ${decoded.reportId} was already used for another report`,
            { messageId: decoded.reportId, clusterId },
          );
        }
        continue;
      }
      if (place) {
        const verdict = this.placeVerdict(places.get(clusterId) ?? undefined, clusterId, place);
        if (verdict === 'hold') {
          item.verdict = 'hold';
          continue;
        }
        item.late = verdict === 'seen';
        if (!item.late) places.set(clusterId, place);
      }
      item.verdict = 'append';
      ids.set(decoded.id, { streamId, type: decoded.event.type });
    }
    // A refused report takes its place in the order too: its successor must not wait for it.
    for (const item of items) {
      if (item.verdict === 'reject' && item.clusterId && item.place) {
        if (placeReport(places.get(item.clusterId) ?? undefined, item.place) === 'next')
          places.set(item.clusterId, item.place);
      }
    }

    const writes = new Map<string, NewEvent[]>();
    const add = (streamId: string, event: NewEvent) => {
      const list = writes.get(streamId);
      if (list) list.push(event);
      else writes.set(streamId, [event]);
    };
    for (const item of orderForDecision(items)) {
      if (item.verdict === 'append') {
        const { decoded, clusterId, place, late } = item;
        add(clusterStreamId(clusterId!), {
          id: decoded!.id,
          type: decoded!.event.type,
          data: decoded!.event.data,
          // The report id is kept as the causation: the message that caused the event.
          metadata: {
            actor: `agent:${clusterId}`,
            causationId: decoded!.reportId,
            ...(place
              ? { report: { epoch: place.epoch, seq: place.seq, ...(late ? { late: true as const } : {}) } }
              : {}),
            ...traceMetadata(item.msg),
          },
        });
      } else if (item.verdict === 'reject') {
        const rejection = item.rejection!;
        const data: Record<string, string> = { subject: item.msg.subject, reason: rejection.reason };
        if (rejection.details.messageId) data.messageId = rejection.details.messageId;
        if (rejection.details.clusterId) data.clusterId = rejection.details.clusterId;
        add(STATUS_REJECTIONS_STREAM, {
          type: 'StatusRejected',
          data,
          metadata: { actor: 'system:status-ingestion', ...traceMetadata(item.msg) },
        });
      }
    }
    if (writes.size > 0) {
      await this.options.store.appendMany(
        [...writes].map(([streamId, events]) => ({ streamId, events, expectedVersion: 'any' as const })),
        { metadata: { actor: 'system:status-ingestion' } },
      );
    }

    // Committed: settle every delivery, and remember where each cluster now stands.
    for (const [clusterId, place] of places) this.places.set(clusterId, place);
    for (const item of items) {
      switch (item.verdict) {
        case 'append':
          this.stats.appended += 1;
          if (item.late) this.stats.late += 1;
          item.msg.ack();
          break;
        case 'duplicate':
          this.stats.duplicates += 1;
          item.msg.ack();
          break;
        case 'reject':
          this.stats.rejected += 1;
          this.options.logger.warn(`rejected a status report on ${item.msg.subject}: ${item.rejection!.reason}`);
          // No reason payload: nats-server 2.9 recognises only a bare +TERM (the reason is in the log).
          item.msg.term();
          break;
        default:
          this.stats.held += 1;
          item.msg.nak(this.options.holdDelayMs ?? durations.statusHoldDelayMs);
      }
    }
  }

  private decode(msg: JsMsg, refuse: string | undefined): Item {
    const subject = parseStatusSubject(msg.subject);
    const item: Item = { msg, delivered: msg.seq };
    const place = reportPlaceOf(
      msg.headers?.get(Headers.outboxEpoch) || undefined,
      msg.headers?.get(Headers.outboxSequence) || undefined,
    );
    if (subject) item.clusterId = subject.clusterId;
    if (subject && place) item.place = place;
    try {
      if (!subject) throw new StatusReportRejectedError('not a status subject');
      item.decoded = decodeStatusReport(msg.data, subject.clusterId);
      if (refuse)
        throw new StatusReportRejectedError(refuse, { messageId: item.decoded.reportId, clusterId: subject.clusterId });
    } catch (err) {
      if (!(err instanceof StatusReportRejectedError)) throw err;
      item.verdict = 'reject';
      item.rejection = err;
    }
    return item;
  }

  private async checkStandings(items: Item[]): Promise<void> {
    const now = Date.now();
    const clusterIds = [...new Set(items.filter((i) => i.verdict === undefined).map((i) => i.clusterId!))];
    const unknown = clusterIds.filter((id) => (this.registered.get(id) ?? 0) <= now);
    const standings = unknown.length > 0 ? await this.options.clusters.standings(unknown) : new Map();
    const until = now + durations.statusStandingCacheMs;
    for (const [id, standing] of standings) if (standing === 'registered') this.registered.set(id, until);
    for (const id of clusterIds) if (!standings.has(id)) standings.set(id, 'registered');
    for (const item of items) {
      if (item.verdict !== undefined) continue;
      const standing = standings.get(item.clusterId!) ?? 'unknown';
      if (standing === 'registered') continue;
      item.verdict = 'reject';
      item.rejection = new StatusReportRejectedError(
        `cluster ${item.clusterId} is ${standing === 'unknown' ? 'not registered' : 'deregistered'}`,
        { messageId: item.decoded!.reportId, clusterId: item.clusterId! },
      );
    }
  }

  /**
   * Where each cluster of the batch stands: from this replica's memory, read from the log for a
   * cluster it has not seen, and re-read for one whose first report here would have to wait
   * (another replica may have recorded its predecessors since).
   */
  private async loadPlaces(items: Item[]): Promise<void> {
    const first = new Map<string, ReportPlace>();
    for (const item of items) {
      if (!item.place || !item.clusterId) continue;
      const seen = first.get(item.clusterId);
      if (!seen || (item.place.epoch === seen.epoch && item.place.seq < seen.seq))
        first.set(item.clusterId, item.place);
    }
    const stale = [...first].filter(
      ([clusterId, place]) =>
        !this.places.has(clusterId) || placeReport(this.places.get(clusterId) ?? undefined, place) === 'early',
    );
    if (stale.length === 0) return;
    const fromLog = await this.options.ledger.lastPlaces(stale.map(([clusterId]) => clusterId));
    for (const [clusterId] of stale) this.places.set(clusterId, fromLog.get(clusterId) ?? null);
  }

  /** `hold` while a predecessor may still be in flight (report-order.ts). */
  private placeVerdict(
    recorded: ReportPlace | undefined,
    clusterId: string,
    place: ReportPlace,
  ): 'next' | 'seen' | 'hold' {
    const verdict = placeReport(recorded, place);
    const key = `${clusterId}/${place.epoch}/${place.seq}`;
    if (verdict !== 'early') {
      this.waiting.delete(key);
      return verdict;
    }
    const now = Date.now();
    const gapWaitMs = this.options.gapWaitMs ?? durations.statusGapWaitMs;
    if (this.waiting.size > maxWaiting) {
      // Reports another replica recorded meanwhile never come back here: forget the old ones.
      for (const [k, t] of this.waiting) if (now - t > 2 * gapWaitMs) this.waiting.delete(k);
    }
    const since = this.waiting.get(key) ?? now;
    this.waiting.set(key, since);
    if (now - since < gapWaitMs) return 'hold';
    // Waited past any redelivery: the predecessor is not coming (refused, or never journaled).
    this.waiting.delete(key);
    this.options.logger.warn(
      `cluster ${clusterId}: accepting a gap before report ${place.seq} (recorded up to ${recorded?.seq ?? 'nothing'})`,
    );
    return 'next';
  }
}

/** Statuses per batch, and the consumer pulls twice that ahead. */
export const statusBatchMax = 1_000;

interface Item {
  msg: JsMsg;
  /** The stream sequence: the arrival order, kept for reports that carry no place. */
  delivered: number;
  clusterId?: string;
  place?: ReportPlace;
  decoded?: DecodedStatusReport;
  verdict?: 'append' | 'duplicate' | 'reject' | 'hold';
  rejection?: StatusReportRejectedError;
  late?: boolean;
}

/**
 * The batch in the order its reports are decided and appended: each cluster's reports by
 * their place in the agent's order (a redelivered predecessor may come after its successor
 * within a batch), clusters and reports without a place in arrival order.
 */
function orderForDecision(items: readonly Item[]): Item[] {
  // Each cluster's placed reports, sorted by their place, fill that cluster's slots in arrival order.
  const byCluster = new Map<string, Item[]>();
  const arrival = [...items].sort((a, b) => a.delivered - b.delivered);
  for (const item of arrival) {
    if (!item.place || !item.clusterId) continue;
    const list = byCluster.get(item.clusterId);
    if (list) list.push(item);
    else byCluster.set(item.clusterId, [item]);
  }
  for (const list of byCluster.values())
    list.sort((a, b) => (a.place!.epoch === b.place!.epoch ? a.place!.seq - b.place!.seq : 0));
  const next = new Map<string, number>();
  return arrival.map((item) => {
    if (!item.place || !item.clusterId) return item;
    const k = next.get(item.clusterId) ?? 0;
    next.set(item.clusterId, k + 1);
    return byCluster.get(item.clusterId)![k]!;
  });
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
