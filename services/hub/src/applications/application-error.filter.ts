import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { InvalidApplicationError } from '@flotilla/domain';
import { HttpErrorFilter, toErrorBody, type HttpResponse } from '../errors/http-error.filter';

/**
 * The hub's error body plus `issues` ([{path, message}], every problem of an application at
 * once) for an invalid application; every other error goes through the hub's own filter.
 * Scoped to the applications controllers so the shared filter stays untouched.
 */
@Catch()
export class ApplicationErrorFilter implements ExceptionFilter {
  private readonly hubFilter = new HttpErrorFilter();

  catch(err: unknown, host: ArgumentsHost): void {
    if (!(err instanceof InvalidApplicationError)) return this.hubFilter.catch(err, host);
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const body = toErrorBody(err);
    response.status(body.statusCode).json({ ...body, issues: err.issues });
  }
}
