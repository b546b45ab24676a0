// Named errors of the event store. The hub maps them to HTTP statuses in one exception
// filter by class (instanceof: WrongExpectedVersionError -> 409, InvalidEventError -> 400),
// so these classes and their fields are part of the contract; `name` is for logs only.

import type { ExpectedVersion } from './event-store.port';

export class EventStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The stream was not at the version the caller decided against: reload, decide again. */
export class WrongExpectedVersionError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
    options?: { cause?: unknown },
  ) {
    super(`stream ${JSON.stringify(streamId)} is at version ${actual}, expected ${expected}`, options);
  }
}

/**
 * An event with this id is already in the log. A retried append that already landed has the
 * same stream and type in `recorded`; anything else took the id first, and the caller must not
 * take the append as done.
 */
export class DuplicateEventIdError extends EventStoreError {
  constructor(
    readonly eventId: string,
    options?: { cause?: unknown; recorded?: { streamId: string; type: string } },
  ) {
    super(`an event with id ${eventId} is already recorded`, options);
    if (options?.recorded) this.recorded = options.recorded;
  }

  /** Where the event holding the id is (when the store could read it back). */
  readonly recorded?: { streamId: string; type: string };
}

/** The append was malformed (bad stream id, type, id, data...): nothing was written. */
export class InvalidEventError extends EventStoreError {}

/** The store's tables are missing: run `eventStoreMigrations` (the hub runs them with its own). */
export class EventStoreNotMigratedError extends EventStoreError {}

/** A projection's apply or reset failed; its runner stopped at the last committed checkpoint. */
export class ProjectionFailedError extends EventStoreError {
  constructor(
    readonly projection: string,
    readonly checkpoint: number,
    options?: { cause?: unknown },
  ) {
    super(
      `projection ${projection} failed after position ${checkpoint}: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`,
      options,
    );
  }
}

/** The append lock stayed held longer than the lock timeout (a stuck append): nothing was written, retry later. */
export class AppendLockTimeoutError extends EventStoreError {}
