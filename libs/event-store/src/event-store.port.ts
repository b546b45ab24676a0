/**
 * The event store port. The hub's source of truth is one append-only, hash-chained log;
 * everything else (read models, desired state, history answers) is derived from it.
 */

/** Who and what caused an event. `actor` is mandatory: every change names who made it. */
export interface EventMetadata {
  /** e.g. `user:alice`, `token:ops-ci`, `agent:<clusterId>`, `system:git-poller`. */
  actor: string;
  correlationId?: string;
  causationId?: string;
  /** W3C trace context of the work that appended the event. */
  traceparent?: string;
  tracestate?: string;
  /**
   * Of an event recorded from an agent's report: its place in the agent's order (outbox epoch
   * and sequence). `late`: it reached the log after a later report of the same agent, so
   * views must not let it overwrite what that later report said.
   */
  report?: { epoch: string; seq: number; late?: true };
}

export interface NewEvent<T = unknown> {
  /** Stored name, past tense (`ClusterRegistered`); never derived from a class name. */
  type: string;
  data: T;
  /** Defaults to 1. Bumped when the shape changes; old shapes are upcast on read. */
  schemaVersion?: number;
  /** Defaults to a fresh UUID. Callers pass one to make a retried append recognisable. */
  id?: string;
  /** Merged over the append's metadata (e.g. a per-event causation id). */
  metadata?: Partial<EventMetadata>;
}

export interface RecordedEvent<T = unknown> {
  /** Global order across all streams. Gaps are possible (rolled-back appends); reordering is not. */
  position: number;
  streamId: string;
  /** 1-based, contiguous within the stream. */
  version: number;
  id: string;
  type: string;
  schemaVersion: number;
  data: T;
  metadata: EventMetadata;
  recordedAt: Date;
  /** sha256 over this event's content and `prevHash`: the tamper-evident chain. */
  hash: string;
  prevHash: string;
}

/**
 * The version the stream must be at for the append to go through: a number (0 means the
 * stream must not exist yet), or `any` to skip the check.
 */
export type ExpectedVersion = number | 'any';

export interface StreamWrite {
  streamId: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
}

export interface AppendResult {
  /** Per stream written, its version after the append. */
  versions: Record<string, number>;
  /** Positions of the appended events, in order. */
  positions: number[];
}

export interface ReadStreamOptions {
  /** First version to return (inclusive), default 1. */
  fromVersion?: number;
  limit?: number;
}

export interface ReadAllOptions {
  /** Only events with position strictly greater than this (a checkpoint), default 0. */
  after?: number;
  /** Only events with position strictly less than this (paging `backward` from a position). */
  before?: number;
  /** Default `forward` (ascending positions); `backward` starts from the head. */
  direction?: 'forward' | 'backward';
  /** Page size, default 1,000, at most 10,000. */
  limit?: number;
  /** Only streams whose id starts with this (literally: `%` and `_` are not wildcards). */
  streamPrefix?: string;
  types?: string[];
  /** recordedAt >= from */
  from?: Date;
  /** recordedAt < to */
  to?: Date;
}

export type VerifyResult =
  | { ok: true; checked: number; headPosition: number; headHash: string }
  | { ok: false; checked: number; brokenAt: number; reason: string };

export interface EventStore {
  /** Appends to one stream atomically; throws `WrongExpectedVersionError` on a version mismatch. */
  append(
    streamId: string,
    events: NewEvent[],
    options: { expectedVersion: ExpectedVersion; metadata: EventMetadata },
  ): Promise<AppendResult>;
  /** Appends to several streams in one transaction: all land, or none. */
  appendMany(writes: StreamWrite[], options: { metadata: EventMetadata }): Promise<AppendResult>;
  /** Events of one stream in version order, upcast to their newest schema version. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Current version of a stream, 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  /** Events of the whole log in position order (one page), filtered, upcast. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Highest committed position, 0 for an empty log. */
  headPosition(): Promise<number>;
  /**
   * Walks the hash chain (stored shapes, never upcast) and names the first position where it
   * breaks. Removing the newest events cannot be seen from inside the log: compare
   * `headHash` with one recorded elsewhere.
   */
  verify(options?: { batchSize?: number }): Promise<VerifyResult>;
}
