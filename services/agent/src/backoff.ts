/**
 * Delay before retry number `attempt` (0-based): exponential from `initialMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so that agents cut off by the same
 * outage do not all come back in the same millisecond, yet never retry faster than `initialMs`.
 */
export function backoffDelay(
  attempt: number,
  options: { initialMs: number; maxMs: number; random: () => number },
): number {
  const exponential = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  const jittered = exponential / 2 + options.random() * (exponential / 2);
  return Math.round(Math.min(options.maxMs, Math.max(options.initialMs, jittered)));
}
