// The agent's status outbox: a local, fsync'd journal that carries status reports to the
// JetStream stream in order, so a NATS outage or an agent restart loses nothing.
export {
  Outbox,
  type OutboxMessage,
  type OutboxOptions,
  type OutboxPending,
  type OutboxPublishTarget,
  type OutboxStats,
} from './outbox';
export {
  OutboxClosedError,
  OutboxEntryTooLargeError,
  OutboxFlushTimeoutError,
  OutboxFullError,
  OutboxInvalidMessageError,
  OutboxLockedError,
  OutboxPublishError,
  OutboxStorageError,
} from './outbox.errors';
export { outboxDurations, outboxLimits } from './outbox.limits';
export { statusRelayTarget } from './status-relay-target';
