/** Every interval and timeout of the agent, in one place. Milliseconds. */
export const durations = {
  /** Default heartbeat interval (FLOTILLA_AGENT_HEARTBEAT_INTERVAL_MS); the hub's must match. */
  heartbeatIntervalDefaultMs: 10_000,
  /** First connection to NATS gives up after this long (then the agent retries with backoff). */
  connectTimeoutMs: 10_000,
  /** Between reconnect attempts once connected. */
  reconnectWaitMs: 1_000,
  /** How long the hub may take to answer a registration request. */
  registrationTimeoutMs: 15_000,
  /** Backoff between registration attempts that failed for transient reasons (no hub, timeout). */
  registrationRetryInitialMs: 1_000,
  registrationRetryMaxMs: 30_000,
  /** Gives up registering after this long without an answer (a refusal ends it at once). */
  registrationGiveUpMs: 5 * 60_000,
  /** Requests to the Kubernetes API (credentials Secret, version) give up after this long. */
  kubeRequestTimeoutMs: 10_000,
  /** Shutdown: drain of the NATS connection is abandoned after this long. */
  shutdownTimeoutMs: 5_000,
  /** A refused desired state identical to one reported this recently (same reason, way, message) is not reported again. */
  refusalReportRepeatMs: 10 * 60_000,
  /** The agent asks for its desired state this often even without a push (pushes are at most once). */
  desiredStateResyncMs: 30_000,
  /** After a desired-state request failed (no hub, NATS down), the next one comes sooner. */
  desiredStateRetryMs: 5_000,
  /** A desired-state request gives up after this long. */
  desiredStateRequestTimeoutMs: 10_000,
  /** A bundle request gives up after this long (bundles are up to ~900 KiB). */
  bundleRequestTimeoutMs: 30_000,
  /** A failed sync or removal (bundle fetch, API error) is retried after this, doubling up to the max. */
  reconcileRetryInitialMs: 2_000,
  reconcileRetryMaxMs: 5 * 60_000,
  /** Shutdown: a sync in flight gets this long to finish before the agent stops anyway. */
  reconcileStopTimeoutMs: 10_000,
  /** Another process (an agent still stopping) holds the state directory's outbox: look again this often. */
  outboxLockRetryMs: 1_000,
} as const;
