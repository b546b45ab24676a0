import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { startQueriesTestHub, type QueriesTestHub } from '../history/testing/queries-test-hub';

/** Drift episodes from explicit event sequences (as agents report them), the commit prefix rules, and a tampered log. */
let db: TestDatabase;
let hub: QueriesTestHub;

const cluster = 'c00000000000000a1';
const other = 'c00000000000000b2';
const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'web' };
const configMap = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'web-config' };
const t = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute)).toISOString();

async function append(clusterId: string, type: string, data: object): Promise<void> {
  await hub.store.append(`cluster-${clusterId}`, [{ type, data: { clusterId, ...data } }], {
    expectedVersion: 'any',
    metadata: { actor: `agent:${clusterId}` },
  });
}

beforeAll(async () => {
  db = await createTestDatabase('drift');
  hub = await startQueriesTestHub(db.url);
  for (const [id, name] of [
    [cluster, 'eu-1'],
    [other, 'us-1'],
  ]) {
    await append(id!, 'ClusterRegistered', {
      name,
      labels: { env: 'prod' },
      publicKey: `U${'A'.repeat(55)}`,
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.30.0',
      tokenId: 'abcdefabcdef',
      registeredAt: t(0),
    });
  }
  const fields = (live: number) => [{ path: '/spec/replicas', desired: 3, live }];
  // web on eu-1: detected, detected again with other fields, resolved.
  await append(cluster, 'DriftDetected', {
    application: 'web',
    resource: deployment,
    reason: 'modified',
    fields: fields(5),
    mode: 'detect',
    at: t(1),
  });
  await append(cluster, 'DriftDetected', {
    application: 'web',
    resource: deployment,
    reason: 'modified',
    fields: fields(7),
    mode: 'detect',
    at: t(2),
  });
  await append(cluster, 'DriftResolved', { application: 'web', resource: deployment, at: t(4) });
  // web's ConfigMap on eu-1: deleted by hand, corrected at once.
  await append(cluster, 'DriftDetected', {
    application: 'web',
    resource: configMap,
    reason: 'missing',
    fields: [],
    mode: 'correct',
    at: t(5),
  });
  await append(cluster, 'DriftCorrected', {
    application: 'web',
    resource: configMap,
    reason: 'missing',
    fields: [],
    at: t(5),
  });
  // api on eu-1: still drifted. web on us-1: pruned, then db on us-1 ends with the cluster.
  await append(cluster, 'DriftDetected', {
    application: 'api',
    resource: deployment,
    reason: 'modified',
    fields: fields(1),
    mode: 'correct',
    at: t(6),
  });
  await append(other, 'DriftDetected', {
    application: 'web',
    resource: configMap,
    reason: 'modified',
    fields: [{ path: '/data/key', desired: '<redacted>', live: '<redacted>' }],
    mode: 'detect',
    at: t(7),
  });
  await append(other, 'SyncSucceeded', {
    application: 'web',
    revision: 2,
    commit: 'a'.repeat(40),
    bundleDigest: 'sha256:x',
    at: t(8),
    resources: [{ ref: configMap, action: 'pruned' }],
  });
  await append(other, 'DriftDetected', {
    application: 'db',
    resource: deployment,
    reason: 'modified',
    fields: fields(2),
    mode: 'detect',
    at: t(9),
  });
  await append(other, 'ApplicationRemoved', { application: 'db', pruned: true, at: t(10) });
  await append(other, 'DriftDetected', {
    application: 'cache',
    resource: deployment,
    reason: 'modified',
    fields: fields(2),
    mode: 'detect',
    at: t(11),
  });
  await append(other, 'ClusterDeregistered', { publicKey: `U${'A'.repeat(55)}`, name: 'us-1' });
  await hub.readModels.catchUp();
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await db?.drop();
});

describe('drift', () => {
  it('now: only what is still drifted, with its latest fields, since its first detection, and its mode', async () => {
    const response = await hub.get('/api/v1/drift');
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      expect.objectContaining({
        clusterId: cluster,
        clusterName: 'eu-1',
        application: 'api',
        resource: deployment,
        reason: 'modified',
        fields: [{ path: '/spec/replicas', desired: 3, live: 1 }],
        mode: 'correct',
        since: t(6),
      }),
    ]);
    expect(response.body.summary).toEqual({
      clusters: 1,
      resources: 1,
      applications: [{ application: 'api', clusters: 1, resources: 1, correcting: 1 }],
    });
    expect((await hub.get('/api/v1/drift?application=web')).body.items).toEqual([]);
  });

  it('history: every episode, how it ended and how long it lasted', async () => {
    const response = await hub.get('/api/v1/drift/history');
    expect(response.status).toBe(200);
    const summary = response.body.items.map((e: Record<string, unknown>) => [
      e.clusterId,
      e.application,
      (e.resource as { kind: string }).kind,
      e.endReason,
      e.durationMs,
      e.detections,
    ]);
    expect(summary).toEqual([
      [other, 'cache', 'Deployment', 'deregistered', expect.any(Number), 1],
      [other, 'db', 'Deployment', 'removed', 60_000, 1],
      [other, 'web', 'ConfigMap', 'pruned', 60_000, 1],
      [cluster, 'api', 'Deployment', null, null, 1],
      [cluster, 'web', 'ConfigMap', 'corrected', 0, 1],
      [cluster, 'web', 'Deployment', 'resolved', 180_000, 2],
    ]);
    const web = response.body.items.at(-1);
    expect(web).toMatchObject({ detectedAt: t(1), endedAt: t(4), fields: [{ path: '/spec/replicas', live: 7 }] });
    expect(response.body.summary).toMatchObject({
      episodes: 6,
      open: 1,
      ended: { corrected: 1, resolved: 1, pruned: 1, removed: 1, deregistered: 1 },
    });

    // Overlap with [since, until): episodes that ended before `since` or began at/after `until` are out.
    const window = await hub.get(`/api/v1/drift/history?since=${t(5)}&until=${t(7)}&cluster=${cluster}`);
    expect(
      window.body.items.map(
        (e: { application: string; resource: { kind: string } }) => `${e.application}/${e.resource.kind}`,
      ),
    ).toEqual(['api/Deployment', 'web/ConfigMap']);
    expect((await hub.get('/api/v1/drift/history?group=nope')).status).toBe(404);
  });
});

describe('history commit filter', () => {
  it('takes a unique prefix and refuses an ambiguous one, naming the candidates', async () => {
    for (const sha of ['abcd1111' + '0'.repeat(32), 'abcd2222' + '0'.repeat(32)]) {
      await hub.store.append(
        'source-platform',
        [
          {
            type: 'CommitObserved',
            data: {
              source: 'platform',
              branch: 'main',
              sha,
              parents: [],
              author: { name: 'Alice', email: 'alice@example.com' },
              authoredAt: t(20),
              committedAt: t(20),
              message: 'change',
              changedPaths: [],
              changedPathsTruncated: false,
              observedAt: t(20),
            },
          },
        ],
        { expectedVersion: 'any', metadata: { actor: 'system:git-poller' } },
      );
    }
    const unique = await hub.get('/api/v1/history?commit=abcd111');
    expect(unique.status).toBe(200);
    expect(unique.body.items.map((e: { data: { sha: string } }) => e.data.sha)).toEqual(['abcd1111' + '0'.repeat(32)]);
    const ambiguous = await hub.get('/api/v1/history?commit=abcd');
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body).toMatchObject({ code: 'ambiguous-commit', field: 'commit' });
    expect(ambiguous.body.message).toContain('abcd2222');
    expect((await hub.get('/api/v1/history?commit=ffff0000')).body.items).toEqual([]);
  });
});

describe('audit verify', () => {
  it('names the position where someone with the database rewrote history', async () => {
    const ok = await hub.get('/api/v1/audit/verify');
    expect(ok.body).toMatchObject({ ok: true });
    const [{ position }] = await hub.dataSource.query(
      `SELECT min(position) AS position FROM events WHERE type = 'DriftCorrected'`,
    );
    // A superuser can disable the append-only trigger; the chain still tells.
    await hub.dataSource.query(`ALTER TABLE events DISABLE TRIGGER events_append_only`);
    try {
      await hub.dataSource.query(
        `UPDATE events SET data = jsonb_set(data, '{at}', '"2000-01-01T00:00:00.000Z"') WHERE position = $1`,
        [position],
      );
    } finally {
      await hub.dataSource.query(`ALTER TABLE events ENABLE TRIGGER events_append_only`);
    }
    const broken = await hub.get('/api/v1/audit/verify');
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({ ok: false, brokenAt: Number(position) });
    expect(typeof broken.body.reason).toBe('string');
  });
});
