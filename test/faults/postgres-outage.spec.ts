import { startOwnPostgres, type OwnPostgres } from '@flotilla/testing';
import { eventually, startFleet, type Fleet } from '../e2e/registration-harness';

// A Postgres outage seen from the REST API: the hub stays up (/healthz), says it is not ready
// (/readyz), and answers 503 with Retry-After naming the database, never a bare 500; it serves
// again once Postgres is back. Real processes: the hub, and a Postgres cluster this test owns
// (initdb on a free port) whose postmaster it SIGKILLs. The `it`s build on each other.
jest.setTimeout(120_000);

const settleMs = 30_000;

describe('a Postgres outage: the API says 503 with Retry-After, /readyz fails, /healthz stays up', () => {
  let pg: OwnPostgres;
  let fleet: Fleet;

  const get = async (path: string, auth = true) => {
    const res = await fetch(`${fleet.hubUrl}${path}`, {
      headers: auth ? { authorization: `Bearer ${fleet.adminToken}` } : {},
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads the JSON answers field by field
    const body: any = await res.json();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
  };

  beforeAll(async () => {
    pg = await startOwnPostgres();
    fleet = await startFleet({ database: { url: pg.url, name: 'postgres', drop: async () => undefined } });
  }, 120_000);
  afterAll(async () => {
    await fleet?.close();
    await pg?.dispose();
  }, 60_000);

  it('serves while Postgres is up', async () => {
    expect((await get('/api/v1/clusters')).status).toBe(200);
    expect((await get('/readyz', false)).status).toBe(200);
  });

  it('with the postmaster killed, reads and writes answer 503 + Retry-After, /readyz 503, /healthz 200', async () => {
    await pg.kill();

    const read = await eventually(
      async () => {
        const r = await get('/api/v1/clusters');
        return r.status !== 200 ? r : undefined;
      },
      settleMs,
      'GET /api/v1/clusters to fail after the postmaster was killed',
    );
    expect(read.status).toBe(503);
    expect(Number(read.retryAfter)).toBeGreaterThan(0);
    expect(read.body).toMatchObject({ statusCode: 503, error: 'unavailable', code: 'database-unavailable' });
    expect(read.body.message).toMatch(/database is unavailable/);

    const write = await fetch(`${fleet.hubUrl}/api/v1/registration-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(write.status).toBe(503);
    expect(write.headers.get('retry-after')).toBe(read.retryAfter);

    const ready = await get('/readyz', false);
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'postgres', ok: false })]),
    );
    expect(await get('/healthz', false)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(fleet.hub.proc.exitCode).toBeNull();
  });

  it('serves again once Postgres is back, in the same process', async () => {
    await pg.restart();
    await eventually(
      async () => ((await get('/api/v1/clusters')).status === 200 ? true : undefined),
      settleMs,
      'GET /api/v1/clusters to answer 200 after Postgres restarted',
    );
    await eventually(
      async () => ((await get('/readyz', false)).status === 200 ? true : undefined),
      settleMs,
      '/readyz to answer 200 after Postgres restarted',
    );
    expect(fleet.hub.proc.exitCode).toBeNull();
  });
});
