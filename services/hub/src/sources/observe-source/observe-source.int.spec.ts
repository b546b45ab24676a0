import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { GitFixture } from '../testing/git-fixture';
import {
  eventually,
  observedShas,
  startSourcesTestHub,
  typesOf,
  type SourcesTestHub,
} from '../testing/sources-test-hub';

/**
 * The poller against a real git repository (file:// URL) and the real Postgres. Intervals
 * are long so that only the first (immediate) poll runs by timer; later fetches are asked
 * for explicitly, which is what the poller does when an interval passes.
 */
describe('observing a git source', () => {
  let database: TestDatabase;
  let hub: SourcesTestHub;
  let repo: GitFixture;

  beforeAll(async () => {
    database = await createTestDatabase('hub_sources_observe');
    hub = await startSourcesTestHub(database.url);
  });
  afterAll(async () => {
    await hub?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    repo = await GitFixture.create();
  });
  afterEach(async () => {
    await repo?.dispose();
  });

  const addSource = async (name: string, extra: object = {}) => {
    const res = await hub.request('POST', '/api/v1/sources', {
      body: { name, url: repo.url, pollIntervalSeconds: 3600, ...extra },
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  it('observes the head only when a source is added (not the past), then each new commit in order with its paths', async () => {
    await repo.commit('first', { 'apps/a.yaml': 'a: 1\n' });
    await repo.commit('second', { 'apps/b.yaml': 'b: 1\n' });
    const head = await repo.commit('third\n\nwith a body', { 'apps/a.yaml': 'a: 2\n' });
    await addSource('history');

    // The poller's first tick fetches a new source at once.
    const first = await eventually(
      () => hub.events('history'),
      (e) => observedShas(e).length > 0,
    );
    expect(typesOf(first)).toEqual(['SourceAdded', 'CommitObserved']);
    expect(first[1]!.data).toMatchObject({
      source: 'history',
      branch: 'main',
      sha: head,
      message: 'third\n\nwith a body',
      author: { name: 'Ada Lovelace', email: 'ada@example.com' },
      changedPaths: ['apps/a.yaml'],
      changedPathsTruncated: false,
    });
    expect(first[1]!.metadata.actor).toBe('system:git-poller');

    const c4 = await repo.commit('fourth', { 'apps/c.yaml': 'c: 1\n', 'README.md': 'hi\n' });
    const c5 = await repo.commit('fifth', { 'apps/b.yaml': 'b: 2\n' });
    await expect(hub.observer.request('history')).resolves.toMatchObject({ status: 'observed', ok: true });
    const after = await hub.events('history');
    expect(observedShas(after)).toEqual([head, c4, c5]);
    expect(after.slice(2).map((e) => (e.data as { changedPaths: string[] }).changedPaths)).toEqual([
      ['README.md', 'apps/c.yaml'],
      ['apps/b.yaml'],
    ]);

    // Nothing new: nothing recorded, however often it is asked.
    await hub.observer.request('history');
    await hub.observer.request('history');
    expect(await hub.events('history')).toHaveLength(after.length);

    await hub.readModel.catchUp();
    const view = await hub.request('GET', '/api/v1/sources/history');
    expect(view.body).toMatchObject({
      status: 'ok',
      failingSince: null,
      lastObservedCommit: { sha: c5, message: 'fifth', author: 'Ada Lovelace <ada@example.com>' },
    });
  });

  it('records a force-push as SourceHistoryRewritten, then the new commit', async () => {
    const c1 = await repo.commit('one', { 'a.yaml': '1' });
    const c2 = await repo.commit('two', { 'a.yaml': '2' });
    await addSource('rewritten');
    await eventually(
      () => hub.events('rewritten'),
      (e) => observedShas(e).includes(c2),
    );

    await repo.git('reset', '--quiet', '--hard', c1);
    const c3 = await repo.commit('three instead of two', { 'b.yaml': '3' });
    await hub.observer.request('rewritten');

    const events = await hub.events('rewritten');
    expect(typesOf(events)).toEqual(['SourceAdded', 'CommitObserved', 'SourceHistoryRewritten', 'CommitObserved']);
    expect(events[2]!.data).toMatchObject({ source: 'rewritten', branch: 'main', previousSha: c2, newSha: c3 });
    expect(events[3]!.data).toMatchObject({ sha: c3, changedPaths: ['b.yaml'] });

    // A reset back to an older commit, with nothing new: rewritten, and that commit is current.
    await repo.git('reset', '--quiet', '--hard', c1);
    await hub.observer.request('rewritten');
    const reset = (await hub.events('rewritten')).slice(4);
    expect(typesOf(reset)).toEqual(['SourceHistoryRewritten']);
    expect(reset[0]!.data).toMatchObject({ previousSha: c3, newSha: c1 });
    await hub.readModel.catchUp();
    expect((await hub.request('GET', '/api/v1/sources/rewritten')).body).toMatchObject({
      lastObservedCommit: { sha: c1 },
      historyRewrittenAt: expect.any(String),
    });
  });

  it('records an unreachable remote once per streak, shows it failing, and records the recovery', async () => {
    const c1 = await repo.commit('one', { 'a.yaml': '1' });
    await addSource('flaky');
    await eventually(
      () => hub.events('flaky'),
      (e) => observedShas(e).includes(c1),
    );

    await repo.hide();
    for (let i = 0; i < 3; i++) await hub.observer.request('flaky');
    let events = await hub.events('flaky');
    expect(typesOf(events)).toEqual(['SourceAdded', 'CommitObserved', 'SourceFetchFailed']);
    const failure = events[2]!.data as { reason: string; at: string };
    expect(failure.reason).toMatch(/git fetch/);
    expect(failure.reason.length).toBeLessThanOrEqual(1024);

    await hub.readModel.catchUp();
    const failing = (await hub.request('GET', '/api/v1/sources/flaky')).body;
    expect(failing).toMatchObject({ status: 'failing', failingSince: failure.at, lastError: failure.reason });

    await repo.unhide();
    const c2 = await repo.commit('two', { 'a.yaml': '2' });
    await hub.observer.request('flaky');
    events = await hub.events('flaky');
    expect(typesOf(events).slice(3)).toEqual(['SourceFetchRecovered', 'CommitObserved']);
    expect(observedShas(events)).toEqual([c1, c2]);
    await hub.readModel.catchUp();
    expect((await hub.request('GET', '/api/v1/sources/flaky')).body).toMatchObject({
      status: 'ok',
      failingSince: null,
      lastError: failure.reason,
      lastObservedCommit: { sha: c2 },
    });
  });

  it('records a missing branch as a fetch failure', async () => {
    await repo.commit('one', { 'a.yaml': '1' });
    await addSource('no-branch', { branch: 'release' });
    const events = await eventually(
      () => hub.events('no-branch'),
      (e) => e.length > 1,
    );
    expect(typesOf(events)).toEqual(['SourceAdded', 'SourceFetchFailed']);
    expect((events[1]!.data as { reason: string }).reason).toMatch(/release/);
  });

  it('stops observing a removed source and reclaims its mirror', async () => {
    await repo.commit('one', { 'a.yaml': '1' });
    await addSource('gone');
    await eventually(
      () => hub.events('gone'),
      (e) => observedShas(e).length === 1,
    );
    expect((await hub.request('DELETE', '/api/v1/sources/gone')).status).toBe(204);
    await repo.commit('two', { 'a.yaml': '2' });
    await expect(hub.observer.request('gone')).resolves.toEqual({ status: 'inactive' });
    expect(typesOf(await hub.events('gone'))).toEqual(['SourceAdded', 'CommitObserved', 'SourceRemoved']);
    const { readdir } = await import('node:fs/promises');
    const remaining = await eventually(
      () => readdir(hub.dataDir),
      (dirs) => !dirs.some((d) => d.startsWith('gone-')),
    );
    expect(remaining.filter((d) => d.startsWith('gone-'))).toEqual([]);
  });
});
