/** Every interval and timeout of the CLI, in one place. Milliseconds. */
export const durations = {
  /**
   * One REST request gives up after this long (override FLOTILLA_REQUEST_TIMEOUT_MS); the
   * hub answers every current verb from its read models, so a slow answer means trouble.
   */
  requestTimeoutDefaultMs: 30_000,
  /** `clusters join --wait` asks the hub this often whether the cluster is connected. */
  joinWaitPollMs: 2_000,
  /** `clusters join --wait` gives up after this long (override --timeout): an image pull and a first start. */
  joinWaitTimeoutDefaultMs: 10 * 60_000,
  /**
   * How often `apps status --wait` asks the hub again. The status comes from the hub's read
   * models (cheap to read); a second keeps the progress line live without hammering it.
   */
  statusPollIntervalMs: 1_000,
  /** How often `history --follow` asks the hub for events after the last one it printed. */
  followPollIntervalMs: 2_000,
} as const;
