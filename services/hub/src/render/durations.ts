/** Every timeout of the hub's rendering, in one place. Milliseconds. */
export const renderDurations = {
  /** A kustomize or helm run is killed after this long (default of FLOTILLA_HUB_RENDER_TIMEOUT_MS). */
  toolTimeoutMs: 30_000,
  /** Fetching one index.yaml or chart archive from a chart repository. */
  chartFetchTimeoutMs: 30_000,
} as const;
