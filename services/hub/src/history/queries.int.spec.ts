import type { RecordedEvent } from '@flotilla/event-store';
import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { openHubDatabase } from '../database/hub-data-source';
import { replayClusterState } from '../time-travel/cluster-state';
import { buildHistoryQuery, type HistoryFilter } from './history.sql';
import { generateFleetLog, type FleetLog } from './testing/fleet-log.generator';
import { startQueriesTestHub, type QueriesTestHub } from './testing/queries-test-hub';

/**
 * Every query of the query side against the real Postgres, on a generated fleet log, each
 * answer held to a reference computed in the test from the whole log read back; and the
 * plans, to show the indexes carry the filters. The log is the size the issue asks of these
 * tests: 100,000 events across 1,000 clusters (npm run bench:queries times the same queries).
 */
// Small batches: each append has one recorded time, and the planner needs a spread of them to judge time ranges.
const fleet = { clusters: 1_000, events: 100_000, batchEvents: 250 };

let db: TestDatabase;
let hub: QueriesTestHub;
let log: FleetLog;
let all: RecordedEvent[];

type Data = Record<string, unknown>;
const data = (e: RecordedEvent) => e.data as Data;

async function allPages(query: string, limit = 1000): Promise<number[]> {
  const positions: number[] = [];
  let cursor: number | null = null;
  for (let page = 0; page < 1000; page++) {
    const response = await hub.get(
      `/api/v1/history?${query}&limit=${limit}${cursor !== null ? `&cursor=${cursor}` : ''}`,
    );
    expect(response.status).toBe(200);
    positions.push(...response.body.items.map((e: { position: number }) => e.position));
    cursor = response.body.nextCursor;
    if (cursor === null) return positions;
  }
  throw new Error('too many pages');
}

const newestFirst = (events: RecordedEvent[]) => events.map((e) => e.position).reverse();

function liveMembers(labels: Record<string, string>): Set<string> {
  const deregistered = new Set(all.filter((e) => e.type === 'ClusterDeregistered').map((e) => data(e).clusterId));
  return new Set(
    all
      .filter((e) => e.type === 'ClusterRegistered')
      .filter((e) => Object.entries(labels).every(([k, v]) => (data(e).labels as Data)[k] === v))
      .map((e) => data(e).clusterId as string)
      .filter((id) => !deregistered.has(id)),
  );
}

beforeAll(async () => {
  db = await createTestDatabase('queries');
  const setup = await openHubDatabase({ url: db.url, poolSize: 2, connectTimeoutMs: 10_000 });
  try {
    log = await generateFleetLog(setup.dataSource, fleet);
    await setup.dataSource.query('ANALYZE');
    all = [];
    for (let after = 0; ;) {
      const page = await setup.eventStore.readAll({ after, limit: 10_000 });
      all.push(...page);
      if (page.length < 10_000) break;
      after = page.at(-1)!.position;
    }
  } finally {
    await setup.close();
  }
  hub = await startQueriesTestHub(db.url);
}, 300_000);

afterAll(async () => {
  await hub?.close();
  await db?.drop();
});

describe('the generated log', () => {
  it('is large, spread over the fleet, and whole', () => {
    expect(all.length).toBe(log.head);
    expect(all.length).toBeGreaterThanOrEqual(fleet.events);
    expect(new Set(all.map((e) => data(e).clusterId).filter(Boolean)).size).toBe(fleet.clusters);
    for (const type of [
      'DesiredStateAssigned',
      'SyncSucceeded',
      'SyncFailed',
      'DriftDetected',
      'DriftCorrected',
      'DriftResolved',
      'ApplicationRemoved',
      'ClusterDeregistered',
    ]) {
      expect(all.some((e) => e.type === type)).toBe(true);
    }
    // Cause before effect: no desired state names a commit before the hub observed it.
    const observedAt = new Map(all.filter((e) => e.type === 'CommitObserved').map((e) => [data(e).sha, e.position]));
    for (const e of all.filter((x) => x.type === 'DesiredStateAssigned')) {
      for (const a of data(e).applications as Data[]) expect(observedAt.get(a.commit)! < e.position).toBe(true);
    }
  });
});

describe('GET /api/v1/history', () => {
  it('filters by cluster, newest first, across cursor pages', async () => {
    const clusterId = log.clusterIds[17]!;
    const expected = newestFirst(all.filter((e) => data(e).clusterId === clusterId));
    expect(expected.length).toBeGreaterThan(30);
    expect(await allPages(`cluster=${clusterId}`, 25)).toEqual(expected);
  });

  it('filters by cluster group (its members now), oldest first', async () => {
    const members = liveMembers({ env: 'staging' });
    const expected = all.filter((e) => members.has(data(e).clusterId as string)).map((e) => e.position);
    expect(await allPages('group=staging&order=oldest')).toEqual(expected);
  });

  it('filters by application: its stream, its status events and the desired states naming it', async () => {
    const app = log.applications[4]!;
    const expected = newestFirst(
      all.filter(
        (e) =>
          e.streamId === `application-${app}` ||
          data(e).application === app ||
          (e.type === 'DesiredStateAssigned' && (data(e).applications as Data[]).some((a) => a.name === app)),
      ),
    );
    expect(await allPages(`application=${app}`)).toEqual(expected);
  });

  it('filters by source, commit prefix, types, actor and time range together with others', async () => {
    const commit = log.commits[5]!;
    const byCommit = newestFirst(
      all.filter(
        (e) =>
          data(e).commit === commit ||
          data(e).sha === commit ||
          (e.type === 'DesiredStateAssigned' && (data(e).applications as Data[]).some((a) => a.commit === commit)),
      ),
    );
    expect(byCommit.length).toBeGreaterThan(1);
    expect(await allPages(`commit=${commit.slice(0, 10)}`)).toEqual(byCommit);

    const bySource = newestFirst(
      all.filter(
        (e) =>
          e.streamId === 'source-apps' ||
          data(e).source === 'apps' ||
          (e.type === 'DesiredStateAssigned' && (data(e).applications as Data[]).some((a) => a.source === 'apps')),
      ),
    );
    expect(await allPages('source=apps')).toEqual(bySource);

    const types = ['SyncFailed', 'DriftCorrected'];
    expect(await allPages(`type=${types.join(',')}`)).toEqual(newestFirst(all.filter((e) => types.includes(e.type))));

    const agent = `agent:${log.clusterIds[3]}`;
    expect(await allPages(`actor=${agent}&type=SyncSucceeded&order=oldest`)).toEqual(
      all.filter((e) => e.metadata.actor === agent && e.type === 'SyncSucceeded').map((e) => e.position),
    );

    const since = all[Math.floor(all.length / 3)]!.recordedAt;
    const until = all[Math.floor(all.length / 2)]!.recordedAt;
    expect(await allPages(`since=${since.toISOString()}&until=${until.toISOString()}`)).toEqual(
      newestFirst(all.filter((e) => e.recordedAt >= since && e.recordedAt < until)),
    );
  });

  it('streams every match as NDJSON without a page limit', async () => {
    const response = await hub.get('/api/v1/history?order=oldest', { accept: 'application/x-ndjson' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = response.text.trimEnd().split('\n');
    expect(lines.length).toBe(all.length);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ position: all[0]!.position, type: all[0]!.type, hash: all[0]!.hash });
    expect(lines.map((line) => JSON.parse(line).position)).toEqual(all.map((e) => e.position));

    const clusterId = log.clusterIds[42]!;
    const filtered = await hub.get(`/api/v1/history?cluster=${clusterId}`, { accept: 'application/x-ndjson' });
    expect(
      filtered.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).position),
    ).toEqual(newestFirst(all.filter((e) => data(e).clusterId === clusterId)));
  });

  it('refuses bad filters with the field named, and unknown groups with 404', async () => {
    for (const query of ['since=yesterday', 'limit=5000', 'commit=xyz', 'order=sideways', 'cursor=-1', 'colour=red']) {
      const response = await hub.get(`/api/v1/history?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('validation');
    }
    expect((await hub.get('/api/v1/history?group=nope')).status).toBe(404);
    expect((await hub.get('/api/v1/history', { token: null })).status).toBe(401);
  });

  it('uses the indexes (EXPLAIN)', async () => {
    const mid = all[Math.floor(all.length / 2)]!.recordedAt;
    const cases: Array<[string, HistoryFilter, string[]]> = [
      ['cluster', { clusterIds: [log.clusterIds[9]!], order: 'newest' }, ['events_cluster_id_idx']],
      ['actor', { actor: 'token:alice', order: 'newest' }, ['events_actor_idx']],
      [
        'commit',
        { commit: log.commits[2]!, order: 'newest' },
        ['events_commit_idx', 'events_sha_idx', 'events_desired_applications_idx'],
      ],
      [
        'application, older than the recent window',
        { application: 'no-such-app', order: 'newest', collect: true },
        ['events_stream_version_key', 'events_application_idx', 'events_desired_applications_idx'],
      ],
      [
        'source, older than the recent window',
        { source: 'nope', order: 'newest', collect: true },
        ['events_source_idx'],
      ],
      [
        'application, recent window',
        { application: log.applications[1]!, order: 'newest', minPosition: all.length - 20_000 },
        ['events_pkey'],
      ],
      ['types', { types: ['ClusterRegistered', 'ApplicationRemoved'], order: 'newest' }, ['events_type_position_idx']],
      [
        'time range',
        { since: mid, until: new Date(mid.getTime() + 60_000), order: 'newest' },
        ['events_recorded_at_btree_idx'],
      ],
    ];
    const shown: string[] = [];
    for (const [name, filter, indexes] of cases) {
      const { text, values } = buildHistoryQuery(filter, 100);
      const rows: Array<{ 'QUERY PLAN': string }> = await hub.dataSource.query(`EXPLAIN ${text}`, values);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      shown.push(`-- ${name}\n${plan}`);
      // The plan is part of the compared value, so a failure prints it.
      const missing = indexes.filter((index) => !plan.includes(index));
      expect({ name, missing, seqScan: plan.includes('Seq Scan on events'), plan }).toEqual({
        name,
        missing: [],
        seqScan: false,
        plan,
      });
    }
    if (process.env.FLOTILLA_SHOW_PLANS) console.log(shown.join('\n\n'));
  });
});

interface OpenDrift {
  clusterId: string;
  application: string;
  resource: Data;
  mode: string;
  since: string;
}

/** The drift episodes of the log, folded plainly (the reference for the projection). */
function referenceEpisodes(): Array<OpenDrift & { endedAt: string | null; endReason: string | null }> {
  const open = new Map<string, OpenDrift & { endedAt: string | null; endReason: string | null }>();
  const episodes: Array<OpenDrift & { endedAt: string | null; endReason: string | null }> = [];
  const key = (c: unknown, a: unknown, r: Data) => `${c}|${a}|${r.kind}|${r.namespace}|${r.name}`;
  const close = (match: (k: string) => boolean, at: string, reason: string) => {
    for (const [k, episode] of open) {
      if (!match(k)) continue;
      episode.endedAt = at;
      episode.endReason = reason;
      open.delete(k);
    }
  };
  for (const e of all) {
    const d = data(e);
    if (e.type === 'DriftDetected') {
      const k = key(d.clusterId, d.application, d.resource as Data);
      const existing = open.get(k);
      if (existing) existing.mode = d.mode as string;
      else {
        const episode = {
          clusterId: d.clusterId as string,
          application: d.application as string,
          resource: d.resource as Data,
          mode: d.mode as string,
          since: d.at as string,
          endedAt: null,
          endReason: null,
        };
        open.set(k, episode);
        episodes.push(episode);
      }
    } else if (e.type === 'DriftCorrected' || e.type === 'DriftResolved') {
      const k = key(d.clusterId, d.application, d.resource as Data);
      close((x) => x === k, d.at as string, e.type === 'DriftCorrected' ? 'corrected' : 'resolved');
    } else if (e.type === 'ApplicationRemoved') {
      close((x) => x.startsWith(`${d.clusterId}|${d.application}|`), d.at as string, 'removed');
    } else if (e.type === 'ClusterDeregistered') {
      close((x) => x.startsWith(`${d.clusterId}|`), e.recordedAt.toISOString(), 'deregistered');
    }
  }
  return episodes;
}

describe('GET /api/v1/drift and /drift/history', () => {
  it('lists every drifted cluster, application and resource, with fields, since and mode, and counts per application', async () => {
    const expected = referenceEpisodes().filter((e) => e.endedAt === null);
    expect(expected.length).toBeGreaterThan(0);
    const response = await hub.get('/api/v1/drift');
    expect(response.status).toBe(200);
    const key = (x: { clusterId: string; application: string; since: string }) =>
      `${x.clusterId}|${x.application}|${new Date(x.since).toISOString()}`;
    expect(response.body.items.map(key).sort()).toEqual(expected.map(key).sort());
    expect(response.body.summary.resources).toBe(expected.length);
    expect(response.body.summary.clusters).toBe(new Set(expected.map((e) => e.clusterId)).size);
    const item = response.body.items[0];
    expect(item.fields[0]).toMatchObject({ path: '/spec/replicas', desired: 3 });
    expect(['detect', 'correct']).toContain(item.mode);
    expect(item.clusterName).toMatch(/^cl-\d{4}$/);
    for (const app of response.body.summary.applications) {
      expect(app.resources).toBe(expected.filter((e) => e.application === app.application).length);
    }

    const app = response.body.items[0].application as string;
    const byApp = await hub.get(`/api/v1/drift?application=${app}`);
    expect(byApp.body.items.length).toBe(expected.filter((e) => e.application === app).length);
    const members = liveMembers({ region: 'eu' });
    const byGroup = await hub.get('/api/v1/drift?group=eu');
    expect(byGroup.body.items.length).toBe(expected.filter((e) => members.has(e.clusterId)).length);
    const clusterId = expected[0]!.clusterId;
    const byCluster = await hub.get(`/api/v1/drift?cluster=${clusterId}`);
    expect(byCluster.body.items.every((i: { clusterId: string }) => i.clusterId === clusterId)).toBe(true);
    expect(byCluster.body.items.length).toBe(expected.filter((e) => e.clusterId === clusterId).length);
  });

  it('lists the episodes of a period with how they ended and how long they lasted', async () => {
    const reference = referenceEpisodes();
    const since = new Date(log.start.getTime() + (log.end.getTime() - log.start.getTime()) / 2);
    const expected = reference.filter((e) => e.endedAt === null || new Date(e.endedAt) >= since);
    const response = await hub.get(`/api/v1/drift/history?since=${since.toISOString()}&limit=5000`);
    expect(response.status).toBe(200);
    expect(response.body.summary.episodes).toBe(expected.length);
    expect(response.body.summary.open).toBe(expected.filter((e) => e.endedAt === null).length);
    expect(response.body.summary.ended.corrected).toBe(expected.filter((e) => e.endReason === 'corrected').length);
    expect(response.body.summary.ended.resolved).toBe(expected.filter((e) => e.endReason === 'resolved').length);
    expect(response.body.items.length).toBe(expected.length);
    const ids = response.body.items.map((i: { episodeId: number }) => i.episodeId);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    for (const item of response.body.items) {
      if (item.endedAt === null) expect(item.durationMs).toBeNull();
      else expect(item.durationMs).toBe(new Date(item.endedAt).getTime() - new Date(item.detectedAt).getTime());
    }
    // Paged: the pages together are the whole answer.
    let cursor: number | null = null;
    const paged: number[] = [];
    do {
      const page: { body: { items: Array<{ episodeId: number }>; nextCursor: number | null } } = await hub.get(
        `/api/v1/drift/history?since=${since.toISOString()}&limit=40${cursor !== null ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...page.body.items.map((i) => i.episodeId));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual(ids);
  });
});

describe('GET /api/v1/clusters/{id}/state?at=T', () => {
  it('equals a plain replay of the log to T, for many clusters and moments', async () => {
    const span = log.end.getTime() - log.start.getTime();
    for (let i = 0; i < 40; i++) {
      const clusterId = log.clusterIds[(i * 37) % log.clusterIds.length]!;
      const at = new Date(log.start.getTime() + Math.floor((span * (i + 1)) / 41));
      const response = await hub.get(`/api/v1/clusters/${clusterId}/state?at=${at.toISOString()}`);
      expect(response.status).toBe(200);
      const { clusterName, registeredAt, deregisteredAt, ...state } = response.body;
      expect(clusterName).toMatch(/^cl-/);
      expect(registeredAt).toBeDefined();
      expect(deregisteredAt === null || typeof deregisteredAt === 'string').toBe(true);
      const stream = all.filter((e) => e.streamId === `cluster-${clusterId}`);
      expect(state).toEqual(replayClusterState(clusterId, stream, at));
    }
  });

  it('knows what a cluster ran before an application was removed from it, and nothing before it registered', async () => {
    const removal = all.find((e) => e.type === 'ApplicationRemoved')!;
    const { clusterId, application } = data(removal) as { clusterId: string; application: string };
    const before = await hub.get(
      `/api/v1/clusters/${clusterId}/state?at=${new Date(removal.recordedAt.getTime() - 1).toISOString()}`,
    );
    const after = await hub.get(`/api/v1/clusters/${clusterId}/state?at=${removal.recordedAt.toISOString()}`);
    expect(before.body.applied.map((a: { application: string }) => a.application)).toContain(application);
    expect(after.body.applied.map((a: { application: string }) => a.application)).not.toContain(application);
    expect(after.body.desired.applications.map((a: { name: string }) => a.name)).not.toContain(application);

    const early = await hub.get(`/api/v1/clusters/${clusterId}/state?at=2000-01-01T00:00:00Z`);
    expect(early.body).toMatchObject({ desired: null, applied: [] });
    expect((await hub.get('/api/v1/clusters/cnope/state')).status).toBe(404);
    expect((await hub.get(`/api/v1/clusters/${clusterId}/state?at=last-tuesday`)).status).toBe(400);
  });
});

describe('GET /api/v1/audit/verify', () => {
  it('checks the whole chain', async () => {
    const response = await hub.get('/api/v1/audit/verify');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ok: true,
      checked: all.length,
      headPosition: all.at(-1)!.position,
      headHash: all.at(-1)!.hash,
    });
  });
});

describe('rebuilding the read models', () => {
  it('gives the same answers from position 0', async () => {
    const questions = [
      '/api/v1/drift',
      `/api/v1/drift/history?limit=5000`,
      `/api/v1/drift?group=prod`,
      ...log.clusterIds
        .slice(0, 10)
        .map(
          (id, i) =>
            `/api/v1/clusters/${id}/state?at=${new Date(log.start.getTime() + (i + 1) * 86_400_000).toISOString()}`,
        ),
    ];
    const before = await Promise.all(questions.map(async (q) => (await hub.get(q)).body));
    const [{ count }] = await hub.dataSource.query(`SELECT count(*)::int AS count FROM hub_drift_episodes`);
    await hub.readModels.rebuild();
    const after = await Promise.all(questions.map(async (q) => (await hub.get(q)).body));
    expect(after).toEqual(before);
    const [{ count: rebuilt }] = await hub.dataSource.query(`SELECT count(*)::int AS count FROM hub_drift_episodes`);
    expect(rebuilt).toBe(count);
    expect(before[0].items.length).toBeGreaterThan(0);
  }, 120_000);
});
