/**
 * The CLI's named errors. Each carries the exit code it ends the process with: 2 for a
 * usage mistake (the command line itself is wrong), 1 for everything else (the hub, the
 * network, the config file). What the user reads is built in error-message.ts.
 */
import type { ErrorBody } from '@flotilla/api';

export abstract class CliError extends Error {
  abstract readonly exitCode: 1 | 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line is wrong: unknown flag value, malformed label, missing argument. */
export class UsageError extends CliError {
  readonly exitCode = 2;
}

/** No hub URL or no token from flags, environment or the config file. */
export class NotLoggedInError extends CliError {
  readonly exitCode = 1;
  constructor(readonly missing: 'hub' | 'token') {
    super(
      missing === 'hub'
        ? 'no hub configured: run `flotilla login --hub URL`, or set --hub or FLOTILLA_HUB_URL'
        : 'no API token configured: run `flotilla login`, or set --token or FLOTILLA_TOKEN',
    );
  }
}

/** The config file exists but cannot be read, parsed or written. */
export class ConfigFileError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`config file ${path}: ${problem}`, options);
  }
}

/** The hub's JSON error body (services/hub errors filter); every field but statusCode may be absent on a proxy's answer. */
/** The hub's error body (@flotilla/api), each field optional: a proxy in between may answer part of it. */
export type HubErrorBody = Partial<ErrorBody>;

/** The hub answered with a non-2xx status. `subject` names what was asked for (`cluster "eu-1"`). */
export class HubApiError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly status: number,
    readonly body: HubErrorBody | undefined,
    readonly request: { method: string; url: string; subject?: string },
  ) {
    super(`${request.method} ${request.url} answered ${status}: ${body?.message ?? '(no error body)'}`);
  }
}

/** Nothing answered at the hub URL (refused, unknown host, reset, TLS failure). */
export class HubUnreachableError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly hubUrl: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`no hub answers at ${hubUrl} (${reason})`, options);
  }
}

/** The hub accepted the connection but did not answer in time. */
export class HubTimeoutError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly hubUrl: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`the hub at ${hubUrl} did not answer within ${timeoutMs / 1000} s`, options);
  }
}

/** The answer was not the hub's JSON (a proxy page, a different service on that port). */
export class UnexpectedResponseError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly hubUrl: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(`the server at ${hubUrl} answered ${status} with something that is not the hub's JSON`, options);
  }
}

/** A name given on the command line matches nothing the hub knows (resolved by the CLI, not a hub 404). */
export class NotFoundError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly subject: string,
    readonly hint: string,
  ) {
    super(`${subject} not found: ${hint}`);
  }
}

/** The request cannot be done as asked, short of a usage mistake (a label that exists without --overwrite). */
export class RefusedError extends CliError {
  readonly exitCode = 1;
}

/** The URL answers with a redirect; the token is not sent after it, the user sets the right URL. */
export class HubRedirectError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly hubUrl: string,
    readonly location: string,
  ) {
    super(
      `${hubUrl} redirects to ${location}: set --hub (or FLOTILLA_HUB_URL, or \`flotilla login --hub\`) to the hub's own URL`,
    );
  }
}

/** `flotilla login` was given a token the hub does not accept; nothing is saved. */
export class LoginRefusedError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly hubUrl: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the hub at ${hubUrl} refused this token (unknown, revoked or wrong); nothing was saved: check it, or ask an admin for one (\`flotilla api-tokens create\`)`,
      options,
    );
  }
}

/** The user stopped an interactive prompt. */
export class CancelledError extends CliError {
  readonly exitCode = 1;
}

/** A source could not be fetched (`sources refresh`); the message carries its last error. */
export class SourceFetchFailedError extends CliError {
  readonly exitCode = 1;
}
