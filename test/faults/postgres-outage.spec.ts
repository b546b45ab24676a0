import { startOwnPostgres, type OwnPostgres } from '@flotilla/testing';
import { eventually, startFleet, type Fleet } from '../e2e/registration-harness';
import { driftReport, expectRecovered, startTestReporter, type TestReporter } from './fault-harness';

// A Postgres outage seen from the REST API: the hub stays up (/healthz), says it is not ready
// (/readyz), and answers 503 with Retry-After naming the database, never a bare 500; it serves
// again once Postgres is back. Real processes: the hub, and a Postgres cluster this test owns
// (initdb on a free port) whose postmaster it SIGKILLs. A cluster (registered by a real agent
// process, which keeps running for liveness) reports through the agent's outbox while the
// database is down: after recovery every report is recorded once, in the order sent, the views
// converge within the stated bound and equal a rebuild, and `audit verify` is ok. The `it`s
// build on each other.
jest.setTimeout(240_000);

const settleMs = 30_000;
/** The bound the test states: the cluster connected and its drift view at its last report within this of the restart. */
const convergeBoundMs = 60_000;
const reports = 30;
const resources = 10;

describe('a Postgres outage: the API says 503 with Retry-After, /readyz fails, /healthz stays up', () => {
  let pg: OwnPostgres;
  let fleet: Fleet;
  let cluster: TestReporter;
  let restartedAt: number;

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
    cluster = await startTestReporter(fleet, 'pg-c0', { keepAgent: true });
  }, 180_000);
  afterAll(async () => {
    await cluster?.close();
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

    // The cluster goes on reporting: journaled in its outbox, relayed into the stream (NATS is
    // up), waiting there for a hub that can record them.
    for (let i = 0; i < reports; i++) cluster.reporter.report(driftReport(i, resources), undefined);
    await cluster.reporter.settled();
  });

  it('serves again once Postgres is back, in the same process', async () => {
    restartedAt = Date.now();
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

  it('after the outage: every report recorded once in order, converged within the bound, audit ok, views equal a rebuild', async () => {
    // Converged: connected, and the drift view says what the agent said last of each resource.
    const lastRound = Math.floor((reports - 1) / resources);
    const drifted = lastRound % 2 === 0 ? resources : 0;
    await eventually(
      async () => {
        const { body } = await get(`/api/v1/clusters/${cluster.id}`);
        const rows = (await fleet.store.dataSource.query(`SELECT fields FROM hub_drift WHERE cluster_id = $1`, [
          cluster.id,
        ])) as Array<{ fields: Array<{ live: string }> }>;
        return body?.state === 'connected' &&
          rows.length === drifted &&
          rows.every((r) => new RegExp(`^tampered-${lastRound}\\d$`).test(r.fields[0]!.live))
          ? true
          : undefined;
      },
      convergeBoundMs,
      `the cluster connected and its drift view at its last report within ${convergeBoundMs} ms`,
    );
    const took = Date.now() - restartedAt;
    expect(took).toBeLessThan(convergeBoundMs);
    process.stderr.write(
      `[faults] Postgres outage: converged (connected, drift view at the last report) ${took} ms after the restart (bound ${convergeBoundMs} ms)\n`,
    );
    expect(cluster.sent).toHaveLength(reports);
    await expectRecovered(fleet, { label: 'Postgres outage', clusters: [cluster], settleMs: 90_000 });
    expect(cluster.agent!.proc.exitCode).toBeNull();
  });
});
