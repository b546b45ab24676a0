/**
 * Whether an error means "Postgres cannot be reached right now" (refused, reset, timed out,
 * shutting down, restarting) rather than a bad query: the operation may succeed when retried,
 * so the hub's API answers 503 with Retry-After instead of 500 and a projection retries instead
 * of stopping as failed. pg, the pool and TypeORM each wrap
 * the socket error their own way, so the causes are walked: `cause`, TypeORM's `driverError`,
 * an AggregateError's `errors`.
 */
const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
/** SQLSTATE: class 08 connection exception; 57P01-57P03 admin/crash shutdown, cannot connect now; 53300 too many connections. */
const unavailableSqlStates = /^(08...|57P0[1-3]|53300)$/;
const unavailableMessages =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|Driver not Connected|Cannot use a pool after calling end/i;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (depth > 8 || typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; driverError?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (unreachableCodes.has(e.code) || unavailableSqlStates.test(e.code))) return true;
  if (typeof e.message === 'string' && unavailableMessages.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(e.driverError, depth + 1);
}
