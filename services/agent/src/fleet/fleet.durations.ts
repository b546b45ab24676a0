/**
 * The simulated fleet's intervals and timeouts, in milliseconds. They belong with the agent's
 * own in services/agent/src/durations.ts; kept apart only while that file is being edited by
 * several people at once.
 */
export const fleetDurations = {
  /** Default heartbeat interval of simulated agents: the agent's own default, so the hub needs no tuning. */
  heartbeatIntervalDefaultMs: 10_000,
  /** How long one agent may take from start to saved credentials before the next one is let through anyway. */
  registrationSlotMs: 60_000,
  /** Default for `whenConnected()`: every agent registered and connected within this. */
  connectTimeoutDefaultMs: 5 * 60_000,
  /** A registration token asked for on behalf of a simulated cluster expires after this (seconds, not ms). */
  registrationTokenTtlSeconds: 3_600,
  /** A REST call to the hub (creating a registration token) gives up after this. */
  hubRequestTimeoutMs: 15_000,
  /** The CLI prints the fleet's memory this often once every agent is connected. */
  memoryReportIntervalMs: 60_000,
} as const;
