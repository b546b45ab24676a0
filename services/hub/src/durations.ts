/**
 * Every interval and timeout of the hub's own code, in one place (the NATS side keeps its
 * own in nats/durations.ts). Milliseconds unless the name says otherwise.
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
  /** Rejected webhooks of one source recorded per window (more are only logged): the log is not a spam sink. */
  webhookRejectionWindowMs: 60_000,
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
} as const;
