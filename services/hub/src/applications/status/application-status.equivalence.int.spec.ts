import { ProjectionRunner, type NewEvent, type RecordedEvent } from '@flotilla/event-store';
import { createTestDatabase, uniqueName, type TestDatabase } from '@flotilla/testing';
import { openHubDatabase, type HubDatabase } from '../../database/hub-data-source';
import { generateFleetLog } from '../../history/testing/fleet-log.generator';
import { applicationStatusProjection } from './application-status.projection';
import { resourceKey, syncAfterAssignment, syncAfterSuccess } from './application-status.rules';

// The batched projection (load, fold in memory, write each row once) must hold exactly what
// a plain event-by-event fold of the same log says, whatever the batch boundaries.
jest.setTimeout(180_000);

interface Row {
  application: string;
  clusterId: string;
  desiredRevision: number;
  desiredCommit: string;
  desiredBundle: string;
  appliedCommit: string | null;
  appliedBundle: string | null;
  sync: string;
  health: string | null;
  lastSyncAt: string | null;
  message: string | null;
  position: number;
}
interface Drift {
  application: string;
  clusterId: string;
  resourceKey: string;
  resource: unknown;
  since: string;
}
type Ref = { apiVersion: string; kind: string; namespace?: string; name: string };
/** The fields the handled events carry (each event has some of them). */
interface EventData {
  clusterId: string;
  application: string;
  revision: number;
  applications: Array<{ name: string; commit: string; bundleDigest: string }>;
  commit: string;
  bundleDigest: string;
  at: string;
  resources: Array<{ ref: Ref; action: string }>;
  message: string;
  status: string;
  resource?: Ref;
}

/** The rules, one event at a time over plain maps: the oracle. */
function plainFold(events: RecordedEvent[]): { rows: Row[]; drift: Drift[] } {
  const rows = new Map<string, Row>();
  const drift = new Map<string, Drift>();
  const pair = (application: string, clusterId: string) => `${application}|${clusterId}`;
  const dropDrift = (keep: (d: Drift) => boolean) => {
    for (const [key, d] of drift) if (!keep(d)) drift.delete(key);
  };
  for (const event of events) {
    const d = event.data as EventData;
    const row = rows.get(pair(d.application, d.clusterId));
    const time = (at: string) => new Date(at).toISOString();
    switch (event.type) {
      case 'DesiredStateAssigned': {
        const names = d.applications.map((a) => a.name);
        dropDrift((x) => x.clusterId !== d.clusterId || names.includes(x.application));
        for (const [key, r] of rows)
          if (r.clusterId === d.clusterId && !names.includes(r.application)) rows.delete(key);
        for (const app of d.applications) {
          const current = rows.get(pair(app.name, d.clusterId));
          rows.set(pair(app.name, d.clusterId), {
            application: app.name,
            clusterId: d.clusterId,
            appliedCommit: null,
            appliedBundle: null,
            health: null,
            lastSyncAt: null,
            message: null,
            ...current,
            desiredRevision: d.revision,
            desiredCommit: app.commit,
            desiredBundle: app.bundleDigest,
            sync: current
              ? syncAfterAssignment(current.sync as never, current.appliedBundle, app.bundleDigest)
              : 'pending',
            position: event.position,
          });
        }
        break;
      }
      case 'ClusterDeregistered':
        dropDrift((x) => x.clusterId !== d.clusterId);
        for (const [key, r] of rows) if (r.clusterId === d.clusterId) rows.delete(key);
        break;
      case 'SyncStarted':
        if (row) Object.assign(row, { sync: 'syncing', position: event.position });
        break;
      case 'SyncSucceeded': {
        if (!row) break;
        Object.assign(row, {
          appliedCommit: d.commit || null,
          appliedBundle: d.bundleDigest,
          sync: syncAfterSuccess(d.bundleDigest, row.desiredBundle),
          lastSyncAt: time(d.at),
          message: null,
          position: event.position,
        });
        const kept = d.resources.filter((r) => r.action !== 'pruned').map((r) => resourceKey(r.ref));
        dropDrift(
          (x) => x.clusterId !== d.clusterId || x.application !== d.application || kept.includes(x.resourceKey),
        );
        break;
      }
      case 'SyncFailed':
        if (row)
          Object.assign(row, { sync: 'failed', lastSyncAt: time(d.at), message: d.message, position: event.position });
        break;
      case 'HealthChanged':
        if (row && !d.resource) Object.assign(row, { health: d.status, position: event.position });
        break;
      case 'DriftDetected': {
        const ref = d.resource!;
        const key = `${pair(d.application, d.clusterId)}|${resourceKey(ref)}`;
        if (row && !drift.has(key)) {
          drift.set(key, {
            application: d.application,
            clusterId: d.clusterId,
            resourceKey: resourceKey(ref),
            resource: ref,
            since: time(d.at),
          });
        }
        break;
      }
      case 'DriftCorrected':
      case 'DriftResolved':
        drift.delete(`${pair(d.application, d.clusterId)}|${resourceKey(d.resource!)}`);
        break;
      case 'ApplicationRemoved':
        dropDrift((x) => x.clusterId !== d.clusterId || x.application !== d.application);
        if (row) {
          Object.assign(row, {
            appliedCommit: null,
            appliedBundle: null,
            health: null,
            sync: 'pending',
            position: event.position,
          });
        }
        break;
    }
  }
  return { rows: [...rows.values()], drift: [...drift.values()] };
}

async function readLog(hub: HubDatabase): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await hub.eventStore.readAll({
      after: all.at(-1)?.position ?? 0,
      types: [...applicationStatusProjection.handles!],
      limit: 10_000,
    });
    all.push(...page);
    if (page.length < 10_000) return all;
  }
}

async function tables(hub: HubDatabase): Promise<{ rows: Row[]; drift: Drift[] }> {
  const rows: Array<{
    application: string;
    cluster_id: string;
    desired_revision: number;
    desired_commit: string;
    desired_bundle: string;
    applied_commit: string | null;
    applied_bundle: string | null;
    sync: string;
    health: string | null;
    last_sync_at: Date | null;
    message: string | null;
    position: string;
  }> = await hub.dataSource.query(`SELECT * FROM hub_application_status`);
  const drift: Array<{
    application: string;
    cluster_id: string;
    resource_key: string;
    resource: unknown;
    since: Date;
  }> = await hub.dataSource.query(`SELECT * FROM hub_application_drift`);
  return sorted({
    rows: rows.map((r) => ({
      application: r.application,
      clusterId: r.cluster_id,
      desiredRevision: r.desired_revision,
      desiredCommit: r.desired_commit,
      desiredBundle: r.desired_bundle,
      appliedCommit: r.applied_commit,
      appliedBundle: r.applied_bundle,
      sync: r.sync,
      health: r.health,
      lastSyncAt: r.last_sync_at ? new Date(r.last_sync_at).toISOString() : null,
      message: r.message,
      position: Number(r.position),
    })),
    drift: drift.map((d) => ({
      application: d.application,
      clusterId: d.cluster_id,
      resourceKey: d.resource_key,
      resource: d.resource,
      since: new Date(d.since).toISOString(),
    })),
  });
}

const sorted = (x: { rows: Row[]; drift: Drift[] }) => {
  const key = (r: { application: string; clusterId: string; resourceKey?: string }) =>
    `${r.application}|${r.clusterId}|${r.resourceKey ?? ''}`;
  return {
    rows: [...x.rows].sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    drift: [...x.drift].sort((a, b) => (key(a) < key(b) ? -1 : 1)),
  };
};

/** Every edge the fold has, in one cluster's stream (and a second cluster that leaves). */
function edgeCases(x: string, y: string): Array<[string, NewEvent[]]> {
  let second = 0;
  const at = () => new Date(Date.UTC(2026, 10, 2, 9, 0, second++)).toISOString();
  const ref = (kind: string, name: string): Ref => ({
    apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
    kind,
    namespace: 'web',
    name,
  });
  const assign = (clusterId: string, revision: number, apps: string[], commit = `c${revision}`) => ({
    type: 'DesiredStateAssigned',
    data: {
      clusterId,
      revision,
      applications: apps.map((name) => ({
        name,
        source: 'platform',
        commit,
        bundleDigest: `sha256:${name}-${commit}`,
        policy: { automated: true, prune: true, driftMode: 'detect', ignoredFields: {} },
      })),
    },
  });
  const sync = (type: string, clusterId: string, application: string, commit: string, extra: object = {}) => ({
    type,
    data: {
      clusterId,
      application,
      revision: 1,
      commit,
      bundleDigest: `sha256:${application}-${commit}`,
      at: at(),
      ...extra,
    },
  });
  const drift = (type: string, clusterId: string, application: string, resource: Ref) => ({
    type,
    data: { clusterId, application, resource, reason: 'modified', fields: [], mode: 'detect', at: at() },
  });
  const deployment = ref('Deployment', 'web');
  const service = ref('Service', 'web');
  const config = ref('ConfigMap', 'settings');
  return [
    [
      x,
      [
        assign(x, 1, ['alpha', 'bravo']),
        sync('SyncStarted', x, 'alpha', 'c1'),
        sync('SyncSucceeded', x, 'alpha', 'c1', {
          resources: [
            { ref: deployment, action: 'configured' },
            { ref: service, action: 'unchanged' },
            { ref: config, action: 'pruned' },
          ],
        }),
        drift('DriftDetected', x, 'alpha', deployment),
        drift('DriftDetected', x, 'alpha', deployment), // still open: keeps its first time
        drift('DriftDetected', x, 'alpha', service),
        // service left the bundle: its drift is over
        sync('SyncSucceeded', x, 'alpha', 'c1', { resources: [{ ref: deployment, action: 'unchanged' }] }),
        {
          type: 'HealthChanged',
          data: { clusterId: x, application: 'alpha', status: 'healthy', message: '', at: at() },
        },
        {
          type: 'HealthChanged',
          data: { clusterId: x, application: 'alpha', status: 'degraded', resource: service, message: '', at: at() },
        },
        assign(x, 2, ['bravo']), // alpha leaves with its drift
        drift('DriftDetected', x, 'alpha', deployment), // about an unassigned application: nothing
        sync('SyncStarted', x, 'alpha', 'c2'),
        assign(x, 3, ['alpha', 'bravo'], 'c3'), // alpha is back, pending, no drift
        drift('DriftDetected', x, 'alpha', config),
        sync('SyncSucceeded', x, 'bravo', 'c3', { resources: [] }),
        { type: 'ApplicationRemoved', data: { clusterId: x, application: 'bravo', pruned: false, at: at() } },
        sync('SyncFailed', x, 'alpha', 'c3', { message: 'denied', resources: [] }),
        drift('DriftResolved', x, 'alpha', config),
        drift('DriftDetected', x, 'alpha', config), // a new episode: a new time
        drift('DriftCorrected', x, 'alpha', deployment), // never detected: nothing to end
        sync('SyncStarted', x, 'bravo', 'c3'),
        assign(x, 4, ['alpha', 'bravo'], 'c3'), // bravo: same bundle while syncing, stays syncing; alpha: failed, retried
      ],
    ],
    [
      y,
      [
        assign(y, 1, ['alpha']),
        sync('SyncSucceeded', y, 'alpha', 'c1', { resources: [] }),
        drift('DriftDetected', y, 'alpha', deployment),
        assign(y, 2, ['alpha'], 'c1'), // same bundle: stays synced
        { type: 'ClusterDeregistered', data: { clusterId: y } },
        sync('SyncStarted', y, 'alpha', 'c1'),
      ],
    ],
  ];
}

describe('application status projection: batched answers equal a plain fold', () => {
  let database: TestDatabase | undefined;
  let hub: HubDatabase | undefined;

  afterEach(async () => {
    await hub?.close();
    await database?.drop();
    hub = undefined;
    database = undefined;
  });

  const open = async () => {
    database = await createTestDatabase('app_status_eq');
    hub = await openHubDatabase({ url: database.url, poolSize: 4, connectTimeoutMs: 10_000 });
    return hub;
  };
  const appendEdgeCases = async (h: HubDatabase) => {
    for (const [clusterId, events] of edgeCases(uniqueName('x'), uniqueName('y'))) {
      await h.eventStore.append(`cluster-${clusterId}`, events, {
        expectedVersion: 'any',
        metadata: { actor: 'test' },
      });
    }
  };

  it('on a generated fleet log, with the default batch and with small ones', async () => {
    const h = await open();
    await generateFleetLog(h.dataSource, { clusters: 60, events: 12_000, seed: 11 });
    await appendEdgeCases(h);
    const expected = sorted(plainFold(await readLog(h)));
    // The log exercises what it should: failures, drift, rows that left, health.
    expect(expected.rows.length).toBeGreaterThan(200);
    expect(expected.rows.some((r) => r.sync === 'failed')).toBe(true);
    expect(expected.rows.some((r) => r.sync === 'synced' && r.health === 'healthy')).toBe(true);
    expect(expected.drift.length).toBeGreaterThan(5);

    await new ProjectionRunner(h.eventStore, applicationStatusProjection).catchUp();
    expect(await tables(h)).toEqual(expected);

    await new ProjectionRunner(h.eventStore, applicationStatusProjection, { batchSize: 61 }).rebuild();
    expect(await tables(h)).toEqual(expected);
  });

  it.each([1, 2, 3, 5, 8, 500])('on every edge of the rules, %i event(s) per batch', async (batchSize) => {
    const h = await open();
    await appendEdgeCases(h);
    const expected = sorted(plainFold(await readLog(h)));
    expect(expected.rows.map((r) => [r.application, r.sync, r.health])).toEqual([
      ['alpha', 'pending', null],
      ['bravo', 'syncing', null],
    ]);
    expect(expected.drift.map((d) => d.resourceKey)).toEqual(['ConfigMap|web|settings']);
    await new ProjectionRunner(h.eventStore, applicationStatusProjection, { batchSize }).catchUp();
    expect(await tables(h)).toEqual(expected);
  });
});
