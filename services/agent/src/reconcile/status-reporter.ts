import { randomUUID } from 'node:crypto';
import { StatusReportSchema, encodeMessage, statusSubject } from '@flotilla/contracts';
import { injectTraceContext, type HeaderCarrier } from '@flotilla/telemetry';
import type { OutboxMessage } from '../report';
import { toStatusReport, type AgentStatusEvent, type AssignmentContext } from './status-report.mapper';

/** What the reporter needs of the outbox (the real Outbox; a recording fake in unit tests). */
export interface StatusOutbox {
  enqueue(message: OutboxMessage): Promise<{ seq: number }>;
}

export interface StatusReporterOptions {
  clusterId: string;
  outbox: StatusOutbox;
  /** Told of a report the outbox refused (full, storage failure): reported, never silent. */
  onError: (error: Error, event: AgentStatusEvent) => void;
  newId?: () => string;
  now?: () => Date;
}

/** A plain map that OpenTelemetry's propagator can write into. */
class MapCarrier implements HeaderCarrier {
  readonly values = new Map<string, string>();
  get(key: string): string {
    return this.values.get(key) ?? '';
  }
  set(key: string, value: string): void {
    this.values.set(key, value);
  }
  has(key: string): boolean {
    return this.values.has(key);
  }
  keys(): string[] {
    return [...this.values.keys()];
  }
}

/**
 * Turns status events into StatusReports in the outbox, in the order they happened: the
 * reconciler hands them over synchronously, journaling is asynchronous, so enqueues are
 * chained. Each report gets a fresh random UUID (v4): its message id, from which the hub
 * derives the event id.
 */
export class StatusReporter {
  private tail: Promise<void> = Promise.resolve();
  private readonly newId: () => string;
  private readonly now: () => Date;
  private failures = 0;

  constructor(private readonly options: StatusReporterOptions) {
    this.newId = options.newId ?? randomUUID;
    this.now = options.now ?? (() => new Date());
  }

  /** Reports the event; never throws (failures go to onError). */
  report(event: AgentStatusEvent, context: AssignmentContext | undefined): void {
    const id = this.newId();
    let message: OutboxMessage;
    try {
      const { kind, report } = toStatusReport(
        event,
        { id, clusterId: this.options.clusterId, sentAt: this.now() },
        context,
      );
      const headers = injectTraceContext(new MapCarrier()) as MapCarrier;
      message = {
        subject: statusSubject(this.options.clusterId, kind),
        msgId: id,
        payload: encodeMessage(StatusReportSchema, report),
        // Nats-Msg-Id is set by the outbox's publish from msgId; only trace context rides here.
        headers: Object.fromEntries(headers.values),
      };
    } catch (err) {
      this.fail(err as Error, event);
      return;
    }
    this.tail = this.tail.then(() =>
      this.options.outbox.enqueue(message).then(
        () => undefined,
        (err: unknown) => this.fail(err as Error, event),
      ),
    );
  }

  /** Resolves once every report handed over so far is journaled (or refused). */
  settled(): Promise<void> {
    return this.tail;
  }

  /** Reports the outbox refused since start. */
  get refused(): number {
    return this.failures;
  }

  private fail(error: Error, event: AgentStatusEvent): void {
    this.failures += 1;
    try {
      this.options.onError(error, event);
    } catch {
      // The error sink is the last resort; it must not break the chain.
    }
  }
}
