import { describeError } from './error-message';
import {
  HubApiError,
  HubRedirectError,
  HubTimeoutError,
  HubUnreachableError,
  NotLoggedInError,
  UnexpectedResponseError,
  UsageError,
} from './errors';
import { networkReason } from './hub/hub-client';

const request = { method: 'GET', url: 'http://hub:8080/api/v1/clusters/c1' };

describe('errors to messages and exit codes', () => {
  it('401 tells to log in again', () => {
    const report = describeError(
      new HubApiError(401, { statusCode: 401, code: 'token-invalid', message: 'the token is unknown' }, request),
    );
    expect(report).toEqual({
      exitCode: 1,
      message: expect.stringContaining('the hub refused the token'),
    });
    expect(report.message).toContain('run `flotilla login`');
  });

  it('a refused connection names the URL and how to set it', () => {
    const report = describeError(new HubUnreachableError('http://127.0.0.1:9', 'connection refused'));
    expect(report.exitCode).toBe(1);
    expect(report.message).toBe(
      'no hub answers at http://127.0.0.1:9 (connection refused): is it running? set --hub or FLOTILLA_HUB_URL, or run `flotilla login --hub URL`',
    );
  });

  it('400 shows the field the hub named, once', () => {
    expect(
      describeError(new HubApiError(400, { message: 'labels.env: invalid value', field: 'labels.env' }, request))
        .message,
    ).toBe('the hub rejected the request: labels.env: invalid value');
    expect(
      describeError(new HubApiError(400, { message: 'must be a DNS label', field: 'name' }, request)).message,
    ).toBe('the hub rejected name: must be a DNS label');
  });

  it('404 names the thing asked for', () => {
    const report = describeError(
      new HubApiError(
        404,
        { message: 'cluster group "web" not found' },
        { ...request, subject: 'cluster group "web"' },
      ),
    );
    expect(report.message).toBe('cluster group "web" not found');
    expect(describeError(new HubApiError(404, undefined, request)).message).toContain(
      'is the hub older than this CLI?',
    );
  });

  it('403, 409, 5xx, timeouts, redirects and foreign answers each say what to do', () => {
    expect(describeError(new HubApiError(403, { message: 'this needs the admin role' }, request)).message).toContain(
      'ask an admin',
    );
    expect(describeError(new HubApiError(409, { message: 'cluster group "web" exists' }, request)).message).toBe(
      'conflict: cluster group "web" exists',
    );
    expect(describeError(new HubApiError(500, { message: 'internal error' }, request)).message).toContain(
      'its log has the detail',
    );
    expect(describeError(new HubTimeoutError('http://hub', 30_000)).message).toContain('FLOTILLA_REQUEST_TIMEOUT_MS');
    expect(describeError(new HubRedirectError('http://hub', 'https://hub/')).message).toContain('set --hub');
    expect(describeError(new UnexpectedResponseError('http://web', 404)).message).toContain(
      "is --hub (FLOTILLA_HUB_URL) the hub's base URL?",
    );
  });

  it('usage errors exit 2; configuration and unknown errors exit 1', () => {
    expect(describeError(new UsageError('bad')).exitCode).toBe(2);
    expect(describeError(new NotLoggedInError('hub'))).toEqual({
      exitCode: 1,
      message: 'no hub configured: run `flotilla login --hub URL`, or set --hub or FLOTILLA_HUB_URL',
    });
    expect(describeError(new Error('boom'))).toEqual({
      exitCode: 1,
      message: 'unexpected error: boom (please report it)',
    });
  });

  it('finds the network reason undici hides in cause', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    expect(networkReason(refused)).toBe('connection refused');
    const aggregate = new TypeError('fetch failed', {
      cause: new AggregateError([Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })]),
    });
    expect(networkReason(aggregate)).toBe('host unreachable');
    expect(networkReason(new TypeError('fetch failed', { cause: new Error('bad port') }))).toBe('bad port');
  });
});
