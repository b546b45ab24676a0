// Every interval and timeout of the reconciler, in one place, so the agent can tune them
// (and tests can shorten them) without hunting through the code.
export const DURATIONS = {
  /** How long to wait for a CRD the bundle creates to become Established before its custom resources fail. */
  crdEstablishedTimeoutMs: 60_000,
  /** Poll interval while waiting for Established (and for discovery to serve the new kind). */
  crdEstablishedPollMs: 250,
  /** Full drift check of every application, in addition to the watches. */
  driftCheckIntervalMs: 3 * 60_000,
  /** Watch events are coalesced for this long before the application is checked. */
  driftDebounceMs: 1_000,
  /** Delay before a watch that ended (server timeout, network) is re-established; doubles up to the max. */
  watchRestartMinMs: 1_000,
  watchRestartMaxMs: 30_000,
} as const;

export type Durations = { -readonly [K in keyof typeof DURATIONS]: number };
