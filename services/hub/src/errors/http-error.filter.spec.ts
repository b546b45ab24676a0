import { HttpException } from '@nestjs/common';
import {
  ConflictError,
  InvalidApplicationError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '@flotilla/domain';
import { DuplicateEventIdError, InvalidEventError, WrongExpectedVersionError } from '@flotilla/event-store';
import { RegistrationRefusedError } from '../clusters';
import { toErrorBody } from './http-error.filter';

describe('error to HTTP mapping', () => {
  it('maps each category to its status, with the field for validation errors', () => {
    expect(toErrorBody(new ValidationError('bad', 'labels.env'))).toEqual({
      statusCode: 400,
      error: 'validation',
      code: 'validation-failed',
      message: 'bad',
      field: 'labels.env',
    });
    expect(toErrorBody(new NotFoundError('gone')).statusCode).toBe(404);
    expect(toErrorBody(new ConflictError('dup', { code: 'x-exists' }))).toMatchObject({
      statusCode: 409,
      code: 'x-exists',
    });
    expect(toErrorBody(new UnauthorizedError('who')).statusCode).toBe(401);
    expect(toErrorBody(new RegistrationRefusedError('name-taken')).statusCode).toBe(409);
  });
  it('gives an invalid application every issue it has', () => {
    const issues = [
      { path: 'spec.path', message: 'required' },
      { path: 'spec.targets', message: 'at least one' },
    ];
    expect(toErrorBody(new InvalidApplicationError(issues))).toMatchObject({
      statusCode: 400,
      code: 'invalid-application',
      field: 'spec.path',
      issues,
    });
  });
  it('maps the event store errors by class, not by a name an error could borrow', () => {
    const impostor = Object.assign(new Error('not from the store'), { name: 'WrongExpectedVersionError' });
    expect(toErrorBody(impostor).statusCode).toBe(500);
    expect(toErrorBody(new DuplicateEventIdError('e1')).statusCode).toBe(409);
  });
  it('maps the event store errors: concurrent change 409, invalid event 400', () => {
    expect(toErrorBody(new WrongExpectedVersionError('cluster-c1', 3, 4))).toMatchObject({
      statusCode: 409,
      code: 'concurrent-change',
    });
    expect(toErrorBody(new InvalidEventError('no'))).toMatchObject({ statusCode: 400 });
  });
  it('keeps Nest HTTP exceptions and hides everything else behind a 500', () => {
    expect(toErrorBody(new HttpException('nope', 413)).statusCode).toBe(413);
    const internal = toErrorBody(new Error('password=hunter2 at db'));
    expect(internal).toEqual({ statusCode: 500, error: 'internal', code: 'internal', message: 'internal error' });
  });
});
