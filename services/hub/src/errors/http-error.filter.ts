import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ErrorBody } from '@flotilla/api';
import { FlotillaError, InvalidApplicationError, ValidationError, type ErrorCategory } from '@flotilla/domain';
import { durations } from '../durations';
import {
  DuplicateEventIdError,
  InvalidEventError,
  isDatabaseUnavailable,
  WrongExpectedVersionError,
} from '@flotilla/event-store';

/**
 * The single place where errors become HTTP responses (registered once, globally). Domain and
 * application errors carry a category; the event store's named errors are recognised by class
 * (the domain does not depend on the event store, the hub does). An invalid application adds
 * every issue it has (`issues`). Anything else is a 500 whose detail goes to the log, never to
 * the client.
 */
const statusByCategory: Record<ErrorCategory, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

/** The shape is the REST contract's (`errorBodySchema` in @flotilla/api), documented on every route. */
export type { ErrorBody };

export function toErrorBody(err: unknown): ErrorBody & { issues?: InvalidApplicationError['issues'] } {
  if (err instanceof FlotillaError) {
    return {
      statusCode: statusByCategory[err.category],
      error: err.category,
      code: err.code,
      message: err.message,
      ...(err instanceof ValidationError && err.field ? { field: err.field } : {}),
      ...(err instanceof InvalidApplicationError ? { issues: err.issues } : {}),
    };
  }
  if (err instanceof WrongExpectedVersionError) {
    return {
      statusCode: 409,
      error: 'conflict',
      code: 'concurrent-change',
      message: `the resource was changed concurrently, retry: ${err.message}`,
    };
  }
  if (err instanceof DuplicateEventIdError) {
    return { statusCode: 409, error: 'conflict', code: 'duplicate', message: err.message };
  }
  if (err instanceof InvalidEventError) {
    return { statusCode: 400, error: 'validation', code: 'invalid-event', message: err.message };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? err.message);
    return {
      statusCode: status,
      error: status === 404 ? 'not-found' : status < 500 ? 'request' : 'internal',
      code: status === 404 ? 'not-found' : `http-${status}`,
      message: Array.isArray(message) ? message.join('; ') : String(message),
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      statusCode: 503,
      error: 'unavailable',
      code: 'database-unavailable',
      message: 'the database is unavailable; retry later',
    };
  }
  return { statusCode: 500, error: 'internal', code: 'internal', message: 'internal error' };
}

/** Headers that go with a body: a 503 says when to come back. */
export function errorHeaders(body: ErrorBody): Record<string, string> {
  return body.statusCode === 503 ? { 'retry-after': String(durations.unavailableRetryAfterSeconds) } : {};
}

/** What the filters use of Express's response. */
export interface HttpResponse {
  set(headers: Record<string, string>): unknown;
  status(code: number): { json(body: unknown): void };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(err: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(err);
    if (body.statusCode >= 500) this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    const response = host.switchToHttp().getResponse<HttpResponse>();
    response.set(errorHeaders(body));
    response.status(body.statusCode).json(body);
  }
}
