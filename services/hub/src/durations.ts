/**
 * Every interval and timeout of the hub, in one place: its own code first, then each
 * capability's (desired state, NATS, rendering). Milliseconds unless the name says otherwise.
 */
export const durations = {
  /** How long a registration token stays usable when the request names no ttl. */
  registrationTokenTtlDefaultMs: 60 * 60 * 1000,
  /** /readyz gives up on a dependency after this long and reports it unready. */
  readinessCheckTimeoutMs: 2_000,
  /** A controller waits at most this long for the read models to include its own write. */
  readYourWritesTimeoutMs: 5_000,
  /** Graceful shutdown: HTTP, projections and connections get this long before exit. */
  shutdownTimeoutMs: 10_000,
  /** Postgres connection attempts at start-up give up after this long. */
  databaseConnectTimeoutMs: 10_000,
  /** The metrics follower (rollout latencies) reads new events of the log this often. */
  metricsLogPollMs: 1_000,
  /** The git poller looks for due sources this often (each source keeps its own poll interval). */
  sourceSchedulerTickMs: 1_000,
  /** Polls of one source spread by up to this fraction of its interval, so replicas and sources do not align. */
  sourcePollJitterRatio: 0.1,
  /** A git command that prints nothing for this long is killed and the fetch counts as failed. */
  gitCommandIdleTimeoutMs: 120_000,
  /** A webhook-triggered fetch waits this long for another replica's fetch of the same source to finish. */
  sourceLeaseWaitMs: 30_000,
  /** Retry step while waiting for a source's lease. */
  sourceLeaseRetryMs: 250,
  /**
   * Refusals of one source of attempts (a webhook's source, a registration token) are recorded
   * one by one up to a few per window; the rest are counted into one aggregate event when the
   * window closes (common/refusal-limiter.ts): the log is not a spam sink.
   */
  refusalWindowMs: 60_000,
  /** FLOTILLA_STATUS drops a report whose message id it saw this recently (an agent's resend after a lost PubAck). */
  statusDuplicateWindowMs: 10 * 60_000,
  /** A status report not acknowledged this long after delivery (hub replica died mid-append) is redelivered. */
  statusAckWaitMs: 30_000,
  /** A report whose append failed (database down) comes back after this long. */
  statusNakDelayMs: 2_000,
  /** Retry-After (seconds) of a 503 while the database is unreachable: about a restart's length. */
  unavailableRetryAfterSeconds: 5,
  /** A report that came ahead of a missing predecessor (report-order.ts) is looked at again after this long. */
  statusHoldDelayMs: 500,
  /**
   * How long a report waits for a missing predecessor before the gap is accepted: past two ack
   * waits, a predecessor held by a dead consumer has been redelivered.
   */
  statusGapWaitMs: 2 * 30_000,
  /** The status consumer is re-opened after this long when it ends (NATS restart, stream recreated). */
  statusConsumerRestartMs: 1_000,
  /** A status batch waits this long to fill once its first report is in (it never waits when full). */
  statusBatchWaitMs: 5,
  /**
   * A cluster found registered is not looked up again for this long: its reports for at most
   * this long after a deregistration are still recorded (they were sent before it took effect).
   */
  statusStandingCacheMs: 2_000,
  /** An application file whose parsing and validation takes longer is refused (400) and its worker replaced. */
  applicationParseTimeoutMs: 2_000,
  /** Heap of the application parser thread (MB): a file that exhausts it is refused, the hub lives on. */
  applicationParserHeapMb: 256,
  /** Application files waiting for the parser beyond this many are answered 503 (retry). */
  applicationParserQueueMax: 16,
} as const;

/** The desired-state capability (reactor). */
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

/** The NATS side (connection, registration, revocation, liveness). */
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

/** Rendering. */
export const renderDurations = {
  /** A kustomize or helm run is killed after this long (default of FLOTILLA_HUB_RENDER_TIMEOUT_MS). */
  toolTimeoutMs: 30_000,
  /** Fetching one index.yaml or chart archive from a chart repository. */
  chartFetchTimeoutMs: 30_000,
} as const;
