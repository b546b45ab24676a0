import { AgentError } from '../errors';

/**
 * Full of entries that must not be dropped (sync and drift reports): the caller reports it.
 * Retryable: space frees up once NATS is reachable again.
 */
export class OutboxFullError extends AgentError {
  readonly retryable = true;
  constructor(
    readonly pending: { entries: number; bytes: number },
    readonly limits: { maxEntries: number; maxBytes: number },
  ) {
    super(
      `status outbox is full (${pending.entries}/${limits.maxEntries} entries, ${pending.bytes}/${limits.maxBytes} bytes) and holds nothing that may be evicted`,
    );
  }
}

/** One entry larger than the outbox accepts: it could never be published, so it is refused at the door. */
export class OutboxEntryTooLargeError extends AgentError {
  readonly retryable = false;
  constructor(
    readonly bytes: number,
    readonly maxEntryBytes: number,
  ) {
    super(`status message of ${bytes} bytes exceeds the outbox's limit of ${maxEntryBytes} bytes`);
  }
}

export class OutboxInvalidMessageError extends AgentError {
  readonly retryable = false;
}

/**
 * The journal could not be read or written. After a failed write or fsync the file's state
 * is unknown (and a retried fsync may lie), so the outbox refuses all further work; the
 * agent restarts, and opening the journal again recovers what was durable.
 */
export class OutboxStorageError extends AgentError {
  readonly retryable = false;
}

export class OutboxClosedError extends AgentError {
  readonly retryable = false;
}

/** Another outbox (in this or another process) has the directory open. */
export class OutboxLockedError extends AgentError {
  readonly retryable = false;
}

/** A publish attempt failed; the same entry is retried after `retryInMs`. Given to `onError`. */
export class OutboxPublishError extends AgentError {
  readonly retryable = true;
  constructor(
    readonly msgId: string,
    readonly subject: string,
    readonly attempt: number,
    readonly retryInMs: number,
    options: { cause: unknown },
  ) {
    super(
      `publishing status ${msgId} on ${subject} failed (attempt ${attempt}), retrying in ${retryInMs} ms: ${describe(options.cause)}`,
      options,
    );
  }
}

export class OutboxFlushTimeoutError extends AgentError {
  readonly retryable = true;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
