// Every interval and timeout of the reconciler, in one place, so the agent can tune them
// (and tests can shorten them) without hunting through the code.
export const DURATIONS = {
  /** How long to wait for a CRD the bundle creates to become Established before its custom resources fail. */
  crdEstablishedTimeoutMs: 60_000,
  /** Poll interval while waiting for Established (and for discovery to serve the new kind). */
  crdEstablishedPollMs: 250,
  /**
   * Full drift check of every application, in addition to the watches: at most one per
   * application per period (a watch event checks only the object it names).
   */
  driftCheckIntervalMs: 3 * 60_000,
  /** Watch events are coalesced for this long before the objects they name are checked. */
  driftDebounceMs: 1_000,
  /** Delay before a watch that failed (network, server error) is re-established; doubles up to the max. */
  watchRestartMinMs: 1_000,
  watchRestartMaxMs: 30_000,
  /**
   * The server ends each watch after this long (its timeoutSeconds) and the watch resumes from
   * its last resourceVersion; the client gives up on a silent watch only a little later.
   */
  watchTimeoutMs: 5 * 60_000,
} as const;

export type Durations = { -readonly [K in keyof typeof DURATIONS]: number };
