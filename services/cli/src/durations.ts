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
} as const;
