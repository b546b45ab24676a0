/** Every interval and timeout of the CLI, in one place. Milliseconds. */
export const durations = {
  /**
   * One REST request gives up after this long (override FLOTILLA_REQUEST_TIMEOUT_MS); the
   * hub answers every current verb from its read models, so a slow answer means trouble.
   */
  requestTimeoutDefaultMs: 30_000,
} as const;
