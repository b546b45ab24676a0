// @flotilla/event-store: the hub's source of truth. One append-only, hash-chained log of
// events in Postgres (the adapter), the same semantics in memory (for unit tests of hub
// handlers), and the runner that keeps projections (read models) in step with the log.

export type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamWrite,
  VerifyResult,
} from './event-store.port';
export {
  AppendLockTimeoutError,
  DuplicateEventIdError,
  EventStoreError,
  EventStoreNotMigratedError,
  InvalidEventError,
  ProjectionFailedError,
  WrongExpectedVersionError,
} from './errors';
export type { EventStoreOptions } from './core/store-options';
export type { Upcaster } from './core/upcasting';
export { redactedValue, type SecretFields } from './core/redaction';
export { canonicalJson, type JsonValue } from './core/canonical-json';
export { canonicalEventText, genesisHash, hashEvent, type HashedEventContent } from './core/event-hash';
export { defaultReadAllLimit, maxReadAllLimit } from './core/read-options';
export { InMemoryEventStore } from './in-memory/in-memory-event-store';
export {
  createPostgresEventStore,
  PostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres/postgres-event-store';
export { eventStoreMigrations } from './postgres/migrations';
export { ProjectionRunner, type Projection, type ProjectionRunnerOptions } from './postgres/projection-runner';
export type { EventStoreLogger } from './postgres/logger';
export { isDatabaseUnavailable } from './postgres/database-unavailable';
