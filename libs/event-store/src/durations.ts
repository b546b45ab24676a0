// Every interval and timeout of the event store, in one place.

/** How often a projection runner polls when no NOTIFY woke it: the floor on latency if LISTEN is down. */
export const projectionPollIntervalMs = 1_000;

/** How long an append waits for the global append lock before giving up (Postgres `lock_timeout`). */
export const appendLockTimeoutMs = 15_000;

/** Pause before a projection runner retries its LISTEN connection after losing it. */
export const listenRetryIntervalMs = 2_000;
