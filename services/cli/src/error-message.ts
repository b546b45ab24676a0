import { CliError, HubApiError, HubTimeoutError, HubUnreachableError, UnexpectedResponseError } from './errors';

/**
 * Turns any error into the line the user reads and the exit code. Every message says what
 * to do next; none repeats a token (the hub's bodies never carry one, and neither do ours).
 */
export interface ErrorReport {
  message: string;
  exitCode: 1 | 2;
}

export function describeError(err: unknown): ErrorReport {
  if (err instanceof HubApiError) return { message: describeHubError(err), exitCode: 1 };
  if (err instanceof HubUnreachableError) {
    return {
      message: `no hub answers at ${err.hubUrl} (${err.reason}): is it running? set --hub or FLOTILLA_HUB_URL, or run \`flotilla login --hub URL\``,
      exitCode: 1,
    };
  }
  if (err instanceof HubTimeoutError) {
    return {
      message: `${err.message}: is it overloaded or behind a proxy that holds requests? retry, or raise FLOTILLA_REQUEST_TIMEOUT_MS`,
      exitCode: 1,
    };
  }
  if (err instanceof UnexpectedResponseError) {
    return { message: `${err.message}: is --hub (FLOTILLA_HUB_URL) the hub's base URL?`, exitCode: 1 };
  }
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  // A bug in the CLI: say so rather than dress it up as the user's fault.
  const detail = err instanceof Error ? err.message : String(err);
  return { message: `unexpected error: ${detail} (please report it)`, exitCode: 1 };
}

function describeHubError(err: HubApiError): string {
  const said = err.body?.message;
  const subject = err.request.subject;
  switch (err.status) {
    case 400: {
      const field = err.body?.field;
      const message = said ?? 'bad request';
      // The hub's message usually starts with the field already ("labels.env: ..."); do not say it twice.
      return field && !message.startsWith(`${field}:`)
        ? `the hub rejected ${field}: ${message}`
        : `the hub rejected the request: ${message}`;
    }
    case 401:
      return 'the hub refused the token (unknown, revoked or wrong): run `flotilla login`, or check --token / FLOTILLA_TOKEN';
    case 403:
      return `not allowed: ${said ?? 'the token lacks the role this needs'} (ask an admin for a token with that role)`;
    case 404:
      // The hub's own 404 text names its id; the subject names what the user typed.
      return subject
        ? `${subject} not found`
        : `not found: ${said ?? `${err.request.method} ${err.request.url}`} (is the hub older than this CLI?)`;
    case 409:
      return `conflict: ${said ?? 'the hub refused the change'}`;
    case 412:
      return `precondition failed: ${said ?? 'the resource changed meanwhile'}: retry`;
    case 503:
      return `the hub is not ready: ${said ?? 'service unavailable'}: retry shortly, or check its /readyz`;
    default:
      if (err.status >= 500)
        return `the hub failed (${err.status}): ${said ?? 'internal error'}: its log has the detail`;
      return `the hub answered ${err.status}: ${said ?? 'no detail'}`;
  }
}
