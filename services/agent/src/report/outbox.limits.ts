/**
 * The outbox's bounds and timings, each default beside its declaration. They live beside
 * the outbox (not in the agent's durations.ts) until the agent's config wires them; the
 * agent config may override any of them through `OutboxOptions`.
 */
export const outboxLimits = {
  /** Unsent entries kept at most; beyond it heartbeats are evicted, then enqueue rejects. */
  maxEntries: 10_000,
  /** Unsent bytes (framed size) kept at most, same policy as maxEntries. */
  maxBytes: 32 * 1024 * 1024,
  /** One entry's largest payload: NATS's default max_payload, so nothing gets stuck unpublishable. */
  maxEntryBytes: 1024 * 1024,
  /** The journal is rewritten once it is at least this big and at least half of it is settled. */
  compactMinBytes: 4 * 1024 * 1024,
} as const;

export const outboxDurations = {
  /** How long one publish waits for its PubAck before it counts as failed and is retried. */
  publishTimeoutMs: 5_000,
  /** Retry backoff: doubles from the initial delay up to the maximum, with jitter. */
  backoffInitialMs: 100,
  backoffMaxMs: 10_000,
} as const;
