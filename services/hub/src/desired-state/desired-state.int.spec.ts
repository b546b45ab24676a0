import { createHash, createPublicKey, verify } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  BundleRefusalReason,
  BundleRequestSchema,
  BundleResponseSchema,
  DesiredStatePayloadSchema,
  DesiredStateRequestSchema,
  DesiredStateSchema,
  bundleRequestSubject,
  desiredStateRequestSubject,
  desiredStateSubject,
  messageMeta,
} from '@flotilla/contracts';
import type { RecordedEvent } from '@flotilla/event-store';
import { GitFixture } from '../sources/testing/git-fixture';
import { startDesiredTestHub, type DesiredTestHub } from './testing/desired-test-hub';

jest.setTimeout(120_000);

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  region: \${cluster.labels.region}
  release: "1"
`;

interface Assigned {
  clusterId: string;
  revision: number;
  applications: Array<{ name: string; commit: string; bundleDigest: string; namespace?: string; policy: object }>;
}

describe('desired state: from a commit to each cluster (real Postgres, NATS, git)', () => {
  let hub: DesiredTestHub;
  const fixtures: GitFixture[] = [];
  beforeAll(async () => {
    hub = await startDesiredTestHub();
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all(fixtures.map((f) => f.dispose()));
  });

  async function newSource(name: string, files: Record<string, string>) {
    const git = await GitFixture.create();
    fixtures.push(git);
    const sha = await git.commit('first', files);
    await hub.addSource(name, git.url);
    await observe(name);
    return { git, sha };
  }
  async function observe(source: string) {
    const result = await hub.observer.request(source, 30_000);
    expect(result).toMatchObject({ status: 'observed', ok: true });
  }
  const since = async (position: number, types?: string[]) =>
    hub.store.readAll({ after: position, ...(types ? { types } : {}) });
  const assignments = (events: RecordedEvent[]) =>
    events.filter((e) => e.type === 'DesiredStateAssigned').map((e) => e.data as Assigned);
  const latestOf = async (clusterId: string): Promise<Assigned | undefined> =>
    assignments(await hub.store.readStream(`cluster-${clusterId}`)).at(-1);
  const bundle = async (digest: string) => {
    const [row] = await hub.store.dataSource.query(`SELECT content FROM bundles WHERE digest = $1`, [digest]);
    return row
      ? (JSON.parse(row.content) as Array<{ data: Record<string, string>; metadata: { namespace?: string } }>)
      : undefined;
  };

  it('renders a commit for exactly the targeted clusters, per-cluster variables and patches, shared bundles', async () => {
    const eu1 = await hub.registerCluster('t1-eu-1', { suite: 't1', region: 'eu' });
    const eu2 = await hub.registerCluster('t1-eu-2', { suite: 't1', region: 'eu' });
    const us = await hub.registerCluster('t1-us', { suite: 't1', region: 'us' });
    const other = await hub.registerCluster('t1-other', { suite: 'other', region: 'eu' });
    await hub.createApplication('web-t1', {
      source: 'src-t1',
      path: 'apps/web',
      targets: [
        {
          selector: { matchLabels: { suite: 't1', region: 'us' } },
          namespace: 'web-us',
          patches: [{ target: { kind: 'ConfigMap', name: 'web-config' }, merge: { data: { tier: 'gold' } } }],
        },
        { selector: { matchLabels: { suite: 't1' } }, namespace: 'web' },
      ],
      syncPolicy: { automated: true, prune: true },
    });
    const head = await hub.store.headPosition();
    const { sha } = await newSource('src-t1', { 'apps/web/config.yaml': configMap, 'docs/README.md': '# docs' });
    await hub.desired.catchUp();

    const events = await since(head);
    const rendered = events.filter((e) => e.type === 'RevisionRendered');
    expect(rendered.map((e) => (e.data as { clusterId: string }).clusterId).sort()).toEqual([eu1, eu2, us].sort());
    const commitEvent = events.find((e) => e.type === 'CommitObserved')!;
    for (const e of rendered) {
      expect(e.streamId).toBe('application-web-t1');
      expect(e.data).toMatchObject({ application: 'web-t1', source: 'src-t1', commit: sha, objectCount: 1 });
      // The change is the cause's: the poller saw the commit.
      expect(e.metadata).toMatchObject({ actor: commitEvent.metadata.actor, causationId: commitEvent.id });
    }
    const assigned = assignments(events);
    expect(assigned.map((a) => a.clusterId).sort()).toEqual([eu1, eu2, us].sort());
    expect(assigned.every((a) => a.revision === 1 && a.applications.length === 1)).toBe(true);
    expect(await latestOf(other)).toBeUndefined();

    const byCluster = new Map(assigned.map((a) => [a.clusterId, a.applications[0]!]));
    // Same labels that matter, same render: one bundle shared.
    expect(byCluster.get(eu1)!.bundleDigest).toBe(byCluster.get(eu2)!.bundleDigest);
    expect(byCluster.get(us)!.bundleDigest).not.toBe(byCluster.get(eu1)!.bundleDigest);
    expect(byCluster.get(us)).toMatchObject({
      commit: sha,
      namespace: 'web-us',
      policy: { automated: true, prune: true, driftMode: 'detect', ignoredFields: {} },
    });
    const usBundle = await bundle(byCluster.get(us)!.bundleDigest);
    expect(usBundle![0]).toMatchObject({
      data: { region: 'us', tier: 'gold', release: '1' },
      metadata: { namespace: 'web-us' },
    });
    const euBundle = await bundle(byCluster.get(eu1)!.bundleDigest);
    expect(euBundle![0]!.data).toEqual({ region: 'eu', release: '1' });
    const [{ count }] = await hub.store.dataSource.query(
      `SELECT count(*)::int AS count FROM bundles WHERE digest = ANY($1)`,
      [[...new Set([...byCluster.values()].map((a) => a.bundleDigest))]],
    );
    expect(count).toBe(2);
    // The stored content is what the digest names.
    const [row] = await hub.store.dataSource.query(`SELECT content FROM bundles WHERE digest = $1`, [
      byCluster.get(us)!.bundleDigest,
    ]);
    expect(`sha256:${createHash('sha256').update(row.content, 'utf8').digest('hex')}`).toBe(
      byCluster.get(us)!.bundleDigest,
    );
  });

  it('a commit that touches nothing under the path changes nothing; invalid YAML renders nowhere and no cluster moves', async () => {
    const a = await hub.registerCluster('t2-a', { suite: 't2', region: 'eu' });
    const b = await hub.registerCluster('t2-b', { suite: 't2', region: 'us' });
    await hub.createApplication('web-t2', {
      source: 'src-t2',
      path: 'apps/web',
      targets: [{ selector: { matchLabels: { suite: 't2' } } }],
      syncPolicy: { automated: true },
    });
    const { git, sha: good } = await newSource('src-t2', { 'apps/web/config.yaml': configMap });
    await hub.desired.catchUp();
    expect((await latestOf(a))?.applications[0]?.commit).toBe(good);

    let head = await hub.store.headPosition();
    await git.commit('docs only', { 'docs/README.md': 'hello' });
    await observe('src-t2');
    await hub.desired.catchUp();
    expect((await since(head)).map((e) => e.type)).toEqual(['CommitObserved']);

    head = await hub.store.headPosition();
    const bad = await git.commit('broken', {
      'apps/web/config.yaml': configMap.replace('release: "1"', 'release: "2"'),
      'apps/web/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n',
    });
    await observe('src-t2');
    await hub.desired.catchUp();
    const events = await since(head);
    expect(events.filter((e) => e.type === 'DesiredStateAssigned')).toEqual([]);
    expect(events.filter((e) => e.type === 'RevisionRendered')).toEqual([]);
    const failed = events.filter((e) => e.type === 'RenderFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({
      application: 'web-t2',
      commit: bad,
      errors: [{ file: 'apps/web/broken.yaml', documentIndex: 0, code: 'invalid-yaml' }],
    });
    expect((failed[0]!.data as { clusterId?: string }).clusterId).toBeUndefined();
    for (const clusterId of [a, b]) expect((await latestOf(clusterId))!).toMatchObject({ revision: 1 });
    expect((await latestOf(b))!.applications[0]!.commit).toBe(good);

    // A cluster joining meanwhile gets the last good commit, not the bad one.
    const late = await hub.registerCluster('t2-late', { suite: 't2', region: 'eu' });
    await hub.desired.catchUp();
    expect((await latestOf(late))!.applications[0]!.commit).toBe(good);

    // The fix moves every cluster.
    // (An emptied file would be reported as a render error, not skipped: the fix is a valid object.)
    const fixed = await git.commit('fixed', {
      'apps/web/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: fixed }\n',
    });
    await observe('src-t2');
    await hub.desired.catchUp();
    for (const clusterId of [a, b, late]) {
      expect((await latestOf(clusterId))!.applications[0]!.commit).toBe(fixed);
    }
    expect((await latestOf(a))!.revision).toBe(2);
  });

  it('pin rolls the clusters back to a commit; unpin returns them to the branch', async () => {
    const a = await hub.registerCluster('t3-a', { suite: 't3', region: 'eu' });
    await hub.createApplication('web-t3', {
      source: 'src-t3',
      path: 'apps/web',
      targets: [{ selector: { matchLabels: { suite: 't3' } } }],
      syncPolicy: { automated: true },
    });
    const { git, sha: first } = await newSource('src-t3', { 'apps/web/config.yaml': configMap });
    await hub.desired.catchUp();
    const second = await git.commit('release 2', { 'apps/web/config.yaml': configMap.replace('"1"', '"2"') });
    await observe('src-t3');
    await hub.desired.catchUp();
    const atSecond = (await latestOf(a))!;
    expect(atSecond.applications[0]!.commit).toBe(second);

    await hub.append('application-web-t3', 'ApplicationPinned', { name: 'web-t3', commit: first }, 'user:bob');
    await hub.desired.catchUp();
    const pinned = (await latestOf(a))!;
    expect(pinned.revision).toBe(atSecond.revision + 1);
    expect(pinned.applications[0]!.commit).toBe(first);
    const [pinEvent] = (await hub.store.readStream(`cluster-${a}`))
      .filter((e) => e.type === 'DesiredStateAssigned')
      .slice(-1);
    expect(pinEvent!.metadata.actor).toBe('user:bob');

    // While pinned, new commits do not move it.
    await git.commit('release 3', { 'apps/web/config.yaml': configMap.replace('"1"', '"3"') });
    await observe('src-t3');
    await hub.desired.catchUp();
    expect((await latestOf(a))!.revision).toBe(pinned.revision);

    await hub.append('application-web-t3', 'ApplicationUnpinned', { name: 'web-t3' }, 'user:bob');
    await hub.desired.catchUp();
    const unpinned = (await latestOf(a))!;
    expect(unpinned.applications[0]!.commit).toBe(await git.head());
    expect((await bundle(unpinned.applications[0]!.bundleDigest))![0]!.data.release).toBe('3');
  });

  it('relabelling moves an application onto and off a cluster; a group target follows its selector', async () => {
    const a = await hub.registerCluster('t4-a', { suite: 't4', tier: 'front' });
    const b = await hub.registerCluster('t4-b', { suite: 't4', tier: 'back' });
    await hub.append('cluster-group-t4-front', 'ClusterGroupCreated', {
      name: 't4-front',
      selector: { matchLabels: { suite: 't4', tier: 'front' } },
      description: '',
    });
    await hub.createApplication('web-t4', {
      source: 'src-t4',
      path: 'apps/web',
      targets: [{ group: 't4-front', namespace: 'front-${cluster.name}' }],
      syncPolicy: { automated: true },
    });
    await newSource('src-t4', {
      'apps/web/config.yaml': configMap.replace('${cluster.labels.region}', '${cluster.name}'),
    });
    await hub.desired.catchUp();
    expect((await latestOf(a))!.applications).toMatchObject([{ name: 'web-t4', namespace: 'front-t4-a' }]);
    expect(await latestOf(b)).toBeUndefined();

    await hub.append(`cluster-${b}`, 'ClusterLabelsChanged', {
      clusterId: b,
      labels: { suite: 't4', tier: 'front' },
      previous: { suite: 't4', tier: 'back' },
    });
    await hub.append(`cluster-${a}`, 'ClusterLabelsChanged', {
      clusterId: a,
      labels: { suite: 't4', tier: 'back' },
      previous: { suite: 't4', tier: 'front' },
    });
    await hub.desired.catchUp();
    expect((await latestOf(b))!).toMatchObject({
      revision: 1,
      applications: [{ name: 'web-t4', namespace: 'front-t4-b' }],
    });
    expect((await latestOf(a))!).toMatchObject({ revision: 2, applications: [] });

    await hub.append('cluster-group-t4-front', 'ClusterGroupDeleted', { name: 't4-front' });
    await hub.desired.catchUp();
    expect((await latestOf(b))!).toMatchObject({ revision: 2, applications: [] });
  });

  it('signs and pushes each assignment, answers desired.get and only assigned bundle.get to the agent', async () => {
    const a = await hub.registerCluster('t5-a', { suite: 't5' });
    const b = await hub.registerCluster('t5-b', { suite: 't5-none' });
    const agent = await hub.connectAsAgent(a);
    const pushes: Uint8Array[] = [];
    agent.subscribe(desiredStateSubject(a), { callback: (_err, msg) => void pushes.push(msg.data) });
    await agent.flush();

    const ask = async () => {
      const request = create(DesiredStateRequestSchema, {
        meta: messageMeta({ id: crypto.randomUUID(), clusterId: a, sentAt: new Date() }),
      });
      const reply = await agent.request(desiredStateRequestSubject(a), toBinary(DesiredStateRequestSchema, request), {
        timeout: 10_000,
      });
      return fromBinary(DesiredStateSchema, reply.data);
    };
    const key = createPublicKey({
      key: Buffer.concat([
        Buffer.from('302a300506032b6570032100', 'hex'),
        Buffer.from(hub.authority.signingPublicKey, 'base64url'),
      ]),
      format: 'der',
      type: 'spki',
    });
    const empty = await ask();
    expect(verify(null, empty.payload, key, empty.signature)).toBe(true);
    expect(fromBinary(DesiredStatePayloadSchema, empty.payload)).toMatchObject({
      clusterId: a,
      revision: 0n,
      applications: [],
    });

    await hub.createApplication('web-t5', {
      source: 'src-t5',
      path: 'apps/web',
      targets: [{ selector: { matchLabels: { suite: 't5' } } }],
      syncPolicy: { automated: true },
    });
    await hub.createApplication('web-t5-b', {
      source: 'src-t5',
      path: 'apps/web',
      targets: [{ selector: { matchLabels: { suite: 't5-none' } } }],
      syncPolicy: { automated: true, prune: true },
    });
    await newSource('src-t5', {
      'apps/web/config.yaml': configMap.replace('${cluster.labels.region}', '${cluster.name}'),
    });
    await hub.desired.catchUp();

    const deadline = Date.now() + 10_000;
    while (pushes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pushes).toHaveLength(1);
    const pushed = fromBinary(DesiredStateSchema, pushes[0]!);
    expect(verify(null, pushed.payload, key, pushed.signature)).toBe(true);
    const payload = fromBinary(DesiredStatePayloadSchema, pushed.payload);
    expect(payload).toMatchObject({ clusterId: a, revision: 1n, applications: [{ name: 'web-t5' }] });
    expect(Buffer.from((await ask()).payload).equals(Buffer.from(pushed.payload))).toBe(true);

    const fetchBundle = async (digest: string) => {
      const request = create(BundleRequestSchema, {
        meta: messageMeta({ id: crypto.randomUUID(), clusterId: a, sentAt: new Date() }),
        digest,
      });
      const reply = await agent.request(bundleRequestSubject(a), toBinary(BundleRequestSchema, request), {
        timeout: 10_000,
      });
      return fromBinary(BundleResponseSchema, reply.data).result;
    };
    const digest = payload.applications[0]!.bundleDigest;
    const answer = await fetchBundle(digest);
    expect(answer.case).toBe('content');
    expect(
      `sha256:${createHash('sha256')
        .update(answer.value as Uint8Array)
        .digest('hex')}`,
    ).toBe(digest);

    // b's bundle (a different render: another cluster name) exists, but was never assigned to a.
    const other = (await latestOf(b))!.applications[0]!.bundleDigest;
    expect(other).not.toBe(digest);
    const refused = await fetchBundle(other);
    expect(refused).toMatchObject({ case: 'refused', value: { reason: BundleRefusalReason.NOT_ASSIGNED } });
    expect(await fetchBundle('sha256:nothex')).toMatchObject({
      case: 'refused',
      value: { reason: BundleRefusalReason.MALFORMED },
    });

    // NATS itself keeps the agent away from b's desired state.
    await expect(agent.request(desiredStateRequestSubject(b), new Uint8Array(), { timeout: 2_000 })).rejects.toThrow();
  });

  it('a batch retried after its appends landed but its transaction was lost appends nothing twice', async () => {
    const a = await hub.registerCluster('t7-a', { suite: 't7', region: 'eu' });
    await hub.createApplication('web-t7', {
      source: 'src-t7',
      path: 'apps/web',
      targets: [{ selector: { matchLabels: { suite: 't7' } } }],
      syncPolicy: { automated: true },
    });
    await newSource('src-t7', { 'apps/web/config.yaml': configMap });
    const db = hub.store.dataSource;
    const tables = [
      'desired_states',
      'desired_state_bundles',
      'desired_reactor_clusters',
      'desired_reactor_groups',
      'desired_reactor_sources',
      'desired_reactor_applications',
    ];
    // What the reactor's transaction would have found, had it rolled back after appending.
    for (const table of tables) await db.query(`CREATE TABLE snap_${table} AS SELECT * FROM ${table}`);
    const checkpoint = await hub.desired.runner.checkpoint();
    const head = await hub.store.headPosition();
    await hub.desired.catchUp();
    const first = await since(head);
    expect(first.map((e) => e.type).sort()).toEqual(['DesiredStateAssigned', 'RevisionRendered']);
    const stateAfter = await db.query(`SELECT revision, applications FROM desired_states WHERE cluster_id = $1`, [a]);

    for (const table of tables) {
      await db.query(`DELETE FROM ${table}`);
      await db.query(`INSERT INTO ${table} SELECT * FROM snap_${table}`);
      await db.query(`DROP TABLE snap_${table}`);
    }
    await db.query(`UPDATE projection_checkpoints SET position = $2 WHERE name = $1`, [
      'hub-desired-state-reactor',
      checkpoint,
    ]);
    await hub.desired.catchUp();
    expect((await since(head)).map((e) => e.id)).toEqual(first.map((e) => e.id));
    expect(await db.query(`SELECT revision, applications FROM desired_states WHERE cluster_id = $1`, [a])).toEqual(
      stateAfter,
    );
  });

  it('a manual application renders each commit but moves only on apps sync; a sync of an application in sync forces a new revision carrying the request', async () => {
    const a = await hub.registerCluster('t8-a', { suite: 't8', region: 'eu' });
    const b = await hub.registerCluster('t8-b', { suite: 't8', region: 'us' });
    const head = await hub.store.headPosition();
    const { git, sha: first } = await newSource('src-t8', { 'apps/web/config.yaml': configMap });
    await hub.createApplication('web-t8', {
      source: 'src-t8',
      path: 'apps/web',
      targets: [{ selector: { matchLabels: { suite: 't8' } } }],
      syncPolicy: { automated: false },
    });
    await hub.desired.catchUp();
    // Created: rendered (status can show the commit renders) but assigned nowhere.
    let events = await since(head);
    expect(
      events.filter((e) => e.type === 'RevisionRendered').map((e) => (e.data as { commit: string }).commit),
    ).toEqual([first, first]);
    expect(assignments(events)).toEqual([]);

    const syncedAt = await hub.store.headPosition();
    await hub.append('application-web-t8', 'ApplicationSyncRequested', { name: 'web-t8' }, 'user:carol');
    await hub.desired.catchUp();
    events = await since(syncedAt);
    const request = events.find((e) => e.type === 'ApplicationSyncRequested')!;
    expect(
      assignments(events)
        .map((x) => [x.clusterId, x.applications[0]!.commit])
        .sort(),
    ).toEqual(
      [
        [a, first],
        [b, first],
      ].sort(),
    );
    const assignedEvent = events.find((e) => e.type === 'DesiredStateAssigned')!;
    expect(assignedEvent.data).toMatchObject({ applications: [{ syncRequest: request.id }] });
    expect(assignedEvent.metadata).toMatchObject({ actor: 'user:carol', causationId: request.id });

    // A new commit: rendered and recorded, no cluster moves.
    const second = await git.commit('release 2', { 'apps/web/config.yaml': configMap.replace('"1"', '"2"') });
    const beforeSecond = await hub.store.headPosition();
    await observe('src-t8');
    await hub.desired.catchUp();
    events = await since(beforeSecond);
    expect(
      events.filter((e) => e.type === 'RevisionRendered').map((e) => (e.data as { commit: string }).commit),
    ).toEqual([second, second]);
    expect(assignments(events)).toEqual([]);
    expect((await latestOf(a))!.applications[0]!.commit).toBe(first);

    // apps sync on one cluster moves only it.
    await hub.append('application-web-t8', 'ApplicationSyncRequested', { name: 'web-t8', clusterId: a }, 'user:carol');
    await hub.desired.catchUp();
    expect((await latestOf(a))!.applications[0]!.commit).toBe(second);
    expect((await latestOf(b))!.applications[0]!.commit).toBe(first);

    // In sync already: a sync is still a new revision, same bundle, new request id, in the signed payload too.
    const before = (await latestOf(a))!;
    const again = await hub.store.headPosition();
    await hub.append('application-web-t8', 'ApplicationSyncRequested', { name: 'web-t8', clusterId: a }, 'user:carol');
    await hub.desired.catchUp();
    const request2 = (await since(again)).find((e) => e.type === 'ApplicationSyncRequested')!;
    const after = (await latestOf(a))!;
    expect(after.revision).toBe(before.revision + 1);
    expect(after.applications[0]).toMatchObject({
      commit: second,
      bundleDigest: before.applications[0]!.bundleDigest,
      syncRequest: request2.id,
    });
    const [row] = await hub.store.dataSource.query(`SELECT payload FROM desired_states WHERE cluster_id = $1`, [a]);
    const payload = fromBinary(DesiredStatePayloadSchema, new Uint8Array(row.payload as Buffer));
    expect(payload.applications[0]!.syncRequest).toBe(request2.id);
  });

  it('refuses to render a bundle above the configured limit and says so', async () => {
    const small = await startDesiredTestHub({ maxBundleBytes: 2048 });
    const git = await GitFixture.create();
    fixtures.push(git);
    try {
      await small.registerCluster('t6-a', { suite: 't6', region: 'eu' });
      await small.createApplication('big', {
        source: 'src-t6',
        path: 'apps/big',
        targets: [{ selector: { matchLabels: { suite: 't6' } } }],
        syncPolicy: { automated: true },
      });
      await git.commit('big', {
        'apps/big/cm.yaml': configMap.replace('release: "1"', `release: "${'x'.repeat(4000)}"`),
      });
      await small.addSource('src-t6', git.url);
      await small.observer.request('src-t6', 30_000);
      await small.desired.catchUp();
      const failed = (await small.store.readStream('application-big')).filter((e) => e.type === 'RenderFailed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data).toMatchObject({
        errors: [{ code: 'bundle-too-large', reason: expect.stringMatching(/above the limit of 2048/) }],
      });
      expect((await small.store.readAll({ types: ['DesiredStateAssigned'] })).length).toBe(0);
    } finally {
      await small.close();
    }
  });
});
