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
} as const;
