import { DataSource } from 'typeorm';
import { ProjectionRunner, type NewEvent } from '@flotilla/event-store';
import { createTestDatabase, uniqueName, type TestDatabase } from '@flotilla/testing';
import { openHubDatabase, type HubDatabase } from '../../database/hub-data-source';
import { clustersProjection } from '../../projections/clusters.projection';
import type { ReadModelsService } from '../../projections/read-models.service';
import { clusterRegistered } from '../../status/testing/status-reports';
import { startHubTestApp, type HubTestApp } from '../../testing/hub-test-app';
import { applicationStatusProjection } from './application-status.projection';
import { ApplicationStatusReadModel } from './application-status.read-model';

// The projection and the view against the real Postgres, fed the contract's events directly.
jest.setTimeout(60_000);

describe('application status read model', () => {
  let database: TestDatabase;
  let hub: HubDatabase;
  let readModel: ApplicationStatusReadModel;
  let runners: ProjectionRunner[];

  beforeAll(async () => {
    database = await createTestDatabase('app_status');
    hub = await openHubDatabase({ url: database.url, poolSize: 4, connectTimeoutMs: 10_000 });
    runners = [clustersProjection, applicationStatusProjection].map((p) => new ProjectionRunner(hub.eventStore, p));
    const readModels = { catchUp: async () => undefined } as unknown as ReadModelsService;
    readModel = new ApplicationStatusReadModel(hub.dataSource, readModels);
  });

  afterAll(async () => {
    await hub?.close();
    await database?.drop();
  });

  const append = (clusterId: string, ...events: NewEvent[]) =>
    hub.eventStore.append(`cluster-${clusterId}`, events, { expectedVersion: 'any', metadata: { actor: 'test' } });
  const project = () => Promise.all(runners.map((r) => r.catchUp()));
  const at = (s: number) => new Date(Date.UTC(2026, 10, 1, 12, 0, s)).toISOString();
  const assigned = (
    clusterId: string,
    revision: number,
    apps: Array<{ name: string; commit: string; bundle: string }>,
  ) => ({
    type: 'DesiredStateAssigned',
    data: {
      clusterId,
      revision,
      applications: apps.map((a) => ({
        name: a.name,
        source: 'platform',
        commit: a.commit,
        bundleDigest: a.bundle,
        policy: { automated: true, prune: true, driftMode: 'detect', ignoredFields: {} },
      })),
    },
  });
  const sync = (type: string, clusterId: string, application: string, commit: string, bundle: string, extra = {}) => ({
    type,
    data: { clusterId, application, revision: 1, commit, bundleDigest: bundle, at: at(1), ...extra },
  });
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name });

  it('shows desired and applied revisions, sync, health and drift per cluster, and never an offline cluster as healthy', async () => {
    const app = uniqueName('web').replace(/_/g, '-');
    const [a, b, c] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
    await append(a, clusterRegistered(a, 'alpha'), { type: 'ClusterConnected', data: { clusterId: a, at: at(0) } });
    await append(b, clusterRegistered(b, 'bravo'), { type: 'ClusterConnected', data: { clusterId: b, at: at(0) } });
    await append(c, clusterRegistered(c, 'charlie'));
    for (const id of [a, b, c]) await append(id, assigned(id, 1, [{ name: app, commit: 'c1', bundle: 'sha256:1' }]));
    await project();
    let view = await readModel.get(app);
    expect(view.clusters.map((x) => [x.clusterName, x.state, x.sync, x.health])).toEqual([
      ['alpha', 'connected', 'pending', 'unknown'],
      ['bravo', 'connected', 'pending', 'unknown'],
      ['charlie', 'pending', 'pending', 'unknown'],
    ]);

    // alpha: synced and healthy, then a drift that is later resolved; bravo: failed; charlie: synced but never connected.
    await append(
      a,
      sync('SyncStarted', a, app, 'c1', 'sha256:1'),
      sync('SyncSucceeded', a, app, 'c1', 'sha256:1', { resources: [{ ref: cm('settings'), action: 'created' }] }),
      { type: 'HealthChanged', data: { clusterId: a, application: app, status: 'healthy', message: '', at: at(2) } },
      {
        type: 'HealthChanged',
        data: { clusterId: a, application: app, status: 'degraded', resource: cm('x'), message: '', at: at(2) },
      },
      {
        type: 'DriftDetected',
        data: {
          clusterId: a,
          application: app,
          resource: cm('settings'),
          reason: 'modified',
          fields: [],
          mode: 'detect',
          at: at(3),
        },
      },
      {
        type: 'DriftDetected',
        data: {
          clusterId: a,
          application: app,
          resource: cm('other'),
          reason: 'missing',
          fields: [],
          mode: 'detect',
          at: at(3),
        },
      },
      { type: 'DriftResolved', data: { clusterId: a, application: app, resource: cm('other'), at: at(4) } },
    );
    await append(
      b,
      sync('SyncStarted', b, app, 'c1', 'sha256:1'),
      sync('SyncFailed', b, app, 'c1', 'sha256:1', { message: '1 of 1 resources failed', resources: [] }),
    );
    await append(c, sync('SyncSucceeded', c, app, 'c1', 'sha256:1', { resources: [] }), {
      type: 'HealthChanged',
      data: { clusterId: c, application: app, status: 'healthy', message: '', at: at(2) },
    });
    await project();
    view = await readModel.get(app);
    const byName = Object.fromEntries(view.clusters.map((x) => [x.clusterName, x]));
    expect(byName.alpha).toMatchObject({
      clusterId: a,
      desiredRevision: 1,
      desiredCommit: 'c1',
      desiredBundle: 'sha256:1',
      appliedCommit: 'c1',
      appliedBundle: 'sha256:1',
      sync: 'synced',
      health: 'healthy',
      drifted: true,
      driftedResources: 1,
      lastSyncAt: at(1),
    });
    expect(byName.bravo).toMatchObject({ sync: 'failed', message: '1 of 1 resources failed', appliedBundle: null });
    expect(byName.charlie).toMatchObject({ state: 'pending', sync: 'synced', health: 'unknown' });
    expect(view.summary).toEqual({ clusters: 3, synced: 2, healthy: 1, drifted: 1, offline: 0, failed: 1 });

    // alpha goes offline: its last word was healthy, the view says unknown.
    await append(a, { type: 'ClusterDisconnected', data: { clusterId: a, lastSeenAt: at(5) } });
    // A new commit for alpha: pending until the agent applies it.
    await append(a, assigned(a, 2, [{ name: app, commit: 'c2', bundle: 'sha256:2' }]));
    await project();
    view = await readModel.get(app);
    expect(view.clusters.find((x) => x.clusterId === a)).toMatchObject({
      state: 'disconnected',
      health: 'unknown',
      sync: 'pending',
      desiredRevision: 2,
      desiredCommit: 'c2',
      appliedCommit: 'c1',
    });
    expect(view.summary).toMatchObject({ offline: 1, healthy: 0, synced: 1 });

    // Unassigned from bravo, c deregistered: both leave the view.
    await append(b, assigned(b, 2, []));
    await append(c, { type: 'ClusterDeregistered', data: { clusterId: c } });
    await project();
    view = await readModel.get(app);
    expect(view.clusters.map((x) => x.clusterId)).toEqual([a]);
  });

  it('lists every assigned cluster, without truncation', async () => {
    const app = uniqueName('many').replace(/_/g, '-');
    const ids = Array.from({ length: 120 }, (_, i) => `${uniqueName('m')}-${i}`);
    for (const id of ids) {
      await append(id, clusterRegistered(id), assigned(id, 1, [{ name: app, commit: 'c1', bundle: 'sha256:9' }]));
    }
    await project();
    const view = await readModel.get(app);
    expect(view.clusters).toHaveLength(120);
    expect(view.summary.clusters).toBe(120);
  });

  it('says why an application is not healthy, and whether its newest commit rendered (and why not)', async () => {
    const app = uniqueName('web').replace(/_/g, '-');
    const a = uniqueName('a');
    await append(a, clusterRegistered(a, 'alpha'), { type: 'ClusterConnected', data: { clusterId: a, at: at(0) } });
    await append(a, assigned(a, 1, [{ name: app, commit: 'c1', bundle: 'sha256:1' }]));
    await append(
      a,
      sync('SyncFailed', a, app, 'c1', 'sha256:1', { message: '1 of 1 resources failed', resources: [] }),
      {
        type: 'HealthChanged',
        data: { clusterId: a, application: app, status: 'missing', message: 'not applied: NotFound: nope', at: at(2) },
      },
    );
    const stream = `application-${app}`;
    const render = (type: string, commit: string, extra = {}) => ({
      type,
      data: { application: app, source: 'platform', commit, ...extra },
    });
    await hub.eventStore.append(stream, [render('RevisionRendered', 'c1', { clusterId: a })], {
      expectedVersion: 'any',
      metadata: { actor: 'test' },
    });
    await project();
    let view = await readModel.get(app);
    expect(view.clusters[0]).toMatchObject({
      sync: 'failed',
      health: 'missing',
      healthMessage: 'not applied: NotFound: nope',
    });
    expect(view.render).toMatchObject({ state: 'rendered', commit: 'c1', failure: null });

    const errors = [{ file: 'apps/web/bad.yaml', documentIndex: 1, code: 'InvalidYaml', reason: 'bad' }];
    await hub.eventStore.append(stream, [render('RenderFailed', 'c2', { errors })], {
      expectedVersion: 'any',
      metadata: { actor: 'test' },
    });
    view = await readModel.get(app);
    expect(view.render).toMatchObject({
      state: 'failed',
      commit: 'c2',
      failure: { commit: 'c2', clusterId: null, errors },
    });
  });
});

describe('GET /api/v1/applications/{name}/status', () => {
  let hub: HubTestApp;

  beforeAll(async () => {
    hub = await startHubTestApp();
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('answers 404 for an unknown application and the contract shape for a known one', async () => {
    const missing = await hub.request('GET', '/api/v1/applications/nope/status');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'application-not-found' });

    // Stands in for the applications projection's row (its own tests cover how it gets there).
    await hub.app.get(DataSource).query(
      `INSERT INTO hub_applications (name, spec, source, created_at, created_by, updated_at, updated_by, position)
       VALUES ('lonely', '{}', 'platform', now(), 'test', now(), 'test', 0)`,
    );
    const known = await hub.request('GET', '/api/v1/applications/lonely/status');
    expect(known.status).toBe(200);
    expect(known.body).toEqual({
      application: 'lonely',
      render: { sourceCommit: null, pinnedCommit: null, commit: null, state: 'none', failure: null },
      summary: { clusters: 0, synced: 0, healthy: 0, drifted: 0, offline: 0, failed: 0 },
      clusters: [],
    });
    expect((await hub.request('GET', '/api/v1/applications/lonely/status', { token: null })).status).toBe(401);
  });
});
