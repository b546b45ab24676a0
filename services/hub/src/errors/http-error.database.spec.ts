import { QueryFailedError } from 'typeorm';
import { errorHeaders, toErrorBody } from './http-error.filter';
import { isDatabaseUnavailable } from '@flotilla/event-store';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('a database outage is a 503, not a 500', () => {
  it('recognises refused, reset and terminated connections however they are wrapped', () => {
    expect(isDatabaseUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([withCode('refused', 'ECONNREFUSED')]))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], withCode('shutting down', '57P01')))).toBe(true);
    expect(isDatabaseUnavailable(new Error('read failed', { cause: withCode('reset', 'ECONNRESET') }))).toBe(true);
  });
  it('leaves query errors alone', () => {
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT x', [], withCode('no column x', '42703')))).toBe(false);
    expect(isDatabaseUnavailable(withCode('duplicate key', '23505'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
  it('answers 503 database-unavailable with Retry-After, and no Retry-After on other errors', () => {
    const body = toErrorBody(withCode('connect ECONNREFUSED', 'ECONNREFUSED'));
    expect(body).toEqual({
      statusCode: 503,
      error: 'unavailable',
      code: 'database-unavailable',
      message: 'the database is unavailable; retry later',
    });
    expect(Number(errorHeaders(body)['retry-after'])).toBeGreaterThan(0);
    expect(errorHeaders(toErrorBody(new Error('boom')))).toEqual({});
  });
});
