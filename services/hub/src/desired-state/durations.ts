/**
 * Every interval and timeout of the hub's desired-state capability, in one place (like
 * nats/durations.ts for the NATS side). Milliseconds.
 */
export const desiredStateDurations = {
  /** The reactor looks for new events this often when no NOTIFY woke it. */
  reactorPollMs: 1_000,
  /** After a failed pass (database, git remote down) the reactor tries again after this long. */
  reactorRetryMs: 5_000,
  /** Shutdown waits this long for the pass in flight. */
  reactorStopTimeoutMs: 10_000,
} as const;

/** Events per reactor transaction: small, since each may render for many clusters. */
export const reactorBatchSize = 50;
/** The files an application reads at one commit are capped at this many times the bundle limit. */
export const sourceReadLimitFactor = 8;
/**
 * A source that cannot be fetched holds the reactor (it never skips an event) for this many
 * attempts of the same commit (about reactorRetryMs apart); then the render is recorded as
 * failed (source-unavailable) so one dead remote cannot stall every cluster's desired state.
 */
export const sourceUnavailableAttempts = 6;
