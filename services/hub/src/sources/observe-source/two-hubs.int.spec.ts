import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { GitFixture } from '../testing/git-fixture';
import {
  eventually,
  observedShas,
  startSourcesTestHub,
  typesOf,
  type SourcesTestHub,
} from '../testing/sources-test-hub';
import { SourceLease } from './source-lease';

/** Two hub replicas on one database, each with its own mirrors, polling the same source. */
describe('two hubs polling the same source', () => {
  let database: TestDatabase;
  let a: SourcesTestHub;
  let b: SourcesTestHub;
  let repo: GitFixture;

  beforeAll(async () => {
    database = await createTestDatabase('hub_sources_two');
    a = await startSourcesTestHub(database.url);
    b = await startSourcesTestHub(database.url);
    repo = await GitFixture.create();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await repo?.dispose();
    await database?.drop();
  });

  it('holds a source lease on one replica at a time', async () => {
    const leaseA = a.app.get(SourceLease);
    const leaseB = b.app.get(SourceLease);
    const held = await leaseA.tryAcquire('lease-probe');
    expect(held).toBeDefined();
    expect(await leaseB.tryAcquire('lease-probe')).toBeUndefined();
    // Re-entrant in Postgres, but not in one replica: a second fetch here must wait too.
    expect(await leaseA.tryAcquire('lease-probe')).toBeUndefined();
    await held!.release();
    const taken = await leaseB.tryAcquire('lease-probe');
    expect(taken).toBeDefined();
    await taken!.release();
  });

  it('observes each commit exactly once, in order, while both poll and both are asked to fetch at once', async () => {
    const shas = [await repo.commit('c0', { 'a.yaml': '0' })];
    const res = await a.request('POST', '/api/v1/sources', {
      body: { name: 'shared', url: repo.url, pollIntervalSeconds: 5 },
    });
    expect(res.status).toBe(201);
    await eventually(
      () => a.events('shared'),
      (e) => observedShas(e).length === 1,
    );

    for (let round = 1; round <= 4; round++) {
      shas.push(await repo.commit(`c${round}a`, { 'a.yaml': `${round}a` }));
      shas.push(await repo.commit(`c${round}b`, { 'b.yaml': `${round}b` }));
      // Both replicas asked at the same moment, on top of their own timers.
      const results = await Promise.all([
        a.observer.request('shared', 10_000),
        b.observer.request('shared', 10_000),
        a.observer.request('shared'),
        b.observer.request('shared'),
      ]);
      expect(results.every((r) => r.status === 'observed' || r.status === 'busy')).toBe(true);
    }
    // The last commits arrive by timer alone (5 s interval, with jitter).
    shas.push(await repo.commit('by-timer', { 'c.yaml': 't' }));
    const events = await eventually(
      () => a.events('shared'),
      (e) => observedShas(e).includes(shas.at(-1)!),
      30_000,
    );
    expect(observedShas(events)).toEqual(shas);
    expect(typesOf(events).filter((t) => t !== 'CommitObserved')).toEqual(['SourceAdded']);
    // Both replicas really polled: each wrote into its own mirror directory.
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(a.dataDir)).some((d) => d.startsWith('shared-'))).toBe(true);
    expect((await readdir(b.dataDir)).some((d) => d.startsWith('shared-'))).toBe(true);
  }, 90_000);
});
