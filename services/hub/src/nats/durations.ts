/**
 * Every interval and timeout of the hub's NATS side (connection, registration, revocation,
 * liveness), in one place. Milliseconds.
 */
export const natsDurations = {
  /** Gives up on the first connection to NATS at start-up after this long. */
  connectTimeoutMs: 10_000,
  /** How long a reconnect attempt waits between servers (the client retries forever). */
  reconnectWaitMs: 1_000,
  /** Waits this long for the server to answer an account claims update. */
  claimsUpdateTimeoutMs: 5_000,
  /** Between retries of a failed claims update (the server may be restarting). */
  claimsUpdateRetryMs: 2_000,
  /** How often the hub reads new log events (deregistrations, liveness transitions). */
  logTailPollMs: 500,
  /** Default agent heartbeat interval the hub expects (FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS). */
  heartbeatIntervalDefaultMs: 10_000,
  /** The liveness check runs every half heartbeat interval, but at least this often. */
  livenessCheckMaxMs: 1_000,
  /**
   * A liveness check that runs later than planned by more than this (and more than its own
   * interval) means the hub itself did not run: the delay is not counted as clusters' silence.
   */
  livenessStallMinMs: 250,
  /**
   * How often the last heartbeat of each cluster is written to the clusters view (LAST SEEN):
   * one batched UPDATE for all clusters heard since, never an event per heartbeat.
   */
  lastSeenFlushMs: 5_000,
  /** Drain of the NATS connection at shutdown is abandoned after this long. */
  drainTimeoutMs: 5_000,
} as const;

/** Consecutive missed heartbeats before a cluster is recorded as disconnected (FLOTILLA_HUB_MISSED_HEARTBEATS). */
export const missedHeartbeatsDefault = 3;
