import { jetstreamManager } from '@nats-io/jetstream';
import type { RecordedEvent } from '@flotilla/event-store';
import {
  eventually,
  kubectlEditConfigMap,
  pendingOutboxEntries,
  readConfigMap,
  startGitopsFleet,
  type GitopsCluster,
  type GitopsFleet,
  type PendingOutboxEntry,
} from '../e2e/gitops-harness';
import { expectRecovered } from './fault-harness';

// The design promise under a NATS outage: an agent cut off from NATS keeps its last desired
// state, keeps detecting (here, in drift mode `correct`, also correcting) drift, and catches up
// on reconnect; nothing it reported while offline is lost or doubled. Real processes: the hub,
// one agent reconciling an emulated cluster, and an operator-mode nats-server that the test
// stops and restarts on the same port and store. The `it`s build on each other, in order.
jest.setTimeout(180_000);

/** Generous: two Jest workers run other suites beside this one on two cores. */
const settleMs = 60_000;
/** The bound the test states: connected, synced and healthy at commit B within this of the restart. */
const convergeBoundMs = 60_000;

const namespaceYaml = `apiVersion: v1
kind: Namespace
metadata:
  name: web-\${cluster.labels.region}
`;
const configYaml = (greeting: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: ${greeting}
`;
const applicationYaml = `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: platform
  path: apps/web
  targets:
    - selector:
        matchLabels: { env: prod }
      namespace: web-\${cluster.labels.region}
  syncPolicy:
    automated: true
    prune: true
    driftMode: correct
`;

const namespace = 'web-eu';

interface StatusView {
  clusters: Array<{ clusterId: string; state: string; sync: string; health: string; appliedCommit: string | null }>;
}

describe('a NATS outage: the agent works on offline and catches up; nothing is lost or doubled', () => {
  let g: GitopsFleet;
  let eu: GitopsCluster;
  let commitA: string;
  let commitB: string;
  let outageStartedAt: number;
  /** Taken before the restart is asked for: the agent may be back before `restart()` resolves. */
  let restartRequestedAt: number;
  /** Liveness transitions of the cluster recorded before the outage. */
  let transitionsBefore: number;
  /** The drift reports the agent journaled while cut off. */
  let offlineDrift: PendingOutboxEntry[];

  const greeting = async () => (await readConfigMap(eu, namespace, 'web-config'))?.data?.greeting;
  const ofCluster = (events: RecordedEvent[], type: string) =>
    events.filter((e) => e.streamId === `cluster-${eu.id}` && e.type === type);
  const ofCommit = (events: RecordedEvent[], type: string, commit: string) =>
    ofCluster(events, type).filter((e) => (e.data as { commit?: string }).commit === commit);
  const transitions = async () =>
    (await g.fleet.store.readStream(`cluster-${eu.id}`)).filter(
      (e) => e.type === 'ClusterConnected' || e.type === 'ClusterDisconnected',
    );
  const webAssignment = (e: RecordedEvent) =>
    (e.data as { applications: Array<{ name: string; commit: string }> }).applications.find((a) => a.name === 'web');

  beforeAll(async () => {
    g = await startGitopsFleet([{ name: 'eu-emu', labels: { env: 'prod', region: 'eu' }, api: 'emulator' }]);
    eu = g.clusters['eu-emu']!;
  }, 180_000);
  afterAll(async () => {
    await g?.close();
  }, 120_000);

  it('starts synced and healthy at commit A', async () => {
    commitA = await g.git.commit('web: first version', {
      'apps/web/namespace.yaml': namespaceYaml,
      'apps/web/config.yaml': configYaml('hello from A'),
    });
    // Polled at once when added, then hourly: the commit made during the outage arrives by webhook.
    const added = await g.fleet.api('POST', '/api/v1/sources', {
      name: g.sourceName,
      url: g.git.url,
      pollIntervalSeconds: 3600,
      webhookSecretRef: g.webhookSecretRef,
    });
    expect(added.status).toBe(201);
    await eventually(
      async () =>
        (await g.fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === commitA)
          ? true
          : undefined,
      settleMs,
      'CommitObserved of commit A',
    );
    await g.grantPolicy('web', { clusterScopedKinds: ['Namespace'] }); // The application brings its own Namespace: cluster-scoped, so an admin grants the kind.
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);

    await eventually(
      async () => {
        const { status, body } = await g.fleet.api('GET', '/api/v1/applications/web/status');
        const mine = status === 200 ? (body as StatusView).clusters.find((c) => c.clusterId === eu.id) : undefined;
        return mine?.sync === 'synced' && mine.health === 'healthy' && mine.appliedCommit === commitA
          ? true
          : undefined;
      },
      settleMs,
      'web synced and healthy at commit A',
    );
    expect(await greeting()).toBe('hello from A');
    // Everything reported so far reached the hub: the outbox is empty before the outage.
    await eventually(
      async () => ((await pendingOutboxEntries(eu)).length === 0 ? true : undefined),
      settleMs,
      'the outbox drained before the outage',
    );
    // Connected going in (a flap under load before this point would be the liveness window's
    // business, not this test's: only what happens from here on is asserted).
    const before = await eventually(
      async () => {
        const t = await transitions();
        return t.at(-1)?.type === 'ClusterConnected' ? t : undefined;
      },
      settleMs,
      'the cluster connected before the outage',
    );
    transitionsBefore = before.length;
  });

  it('with NATS down, the agent detects and corrects a hand edit, journaling the reports; the hub assigns commit B but cannot deliver it', async () => {
    await g.fleet.nats.stop();
    outageStartedAt = Date.now();

    // Liveness: the hub hears no heartbeats and says so in the log (Postgres is still there).
    const disconnected = await eventually(
      async () => (await transitions()).slice(transitionsBefore)[0],
      settleMs,
      'ClusterDisconnected during the outage',
    );
    expect(disconnected.type).toBe('ClusterDisconnected');
    expect(disconnected.metadata.actor).toBe('system:liveness');

    await kubectlEditConfigMap(eu, namespace, 'web-config', { data: { greeting: 'edited while cut off' } });
    // The drift watch is the agent's own Kubernetes API: it keeps working, and in correct mode
    // the edit is undone with no hub to ask.
    await eventually(
      async () => ((await greeting()) === 'hello from A' ? true : undefined),
      settleMs,
      'the hand edit undone by the offline agent',
    );
    // Its reports wait in the outbox journal, fsync'd, for the connection to come back.
    offlineDrift = await eventually(
      async () => {
        const pending = await pendingOutboxEntries(eu);
        const drift = pending.filter((e) => /\.status\.drift-(detected|corrected)$/.test(e.subject));
        return drift.length === 2 ? drift : undefined;
      },
      settleMs,
      'DriftDetected and DriftCorrected journaled in the outbox',
    );
    expect(offlineDrift.map((e) => e.subject.split('.').at(-1))).toEqual(['drift-detected', 'drift-corrected']);
    for (const e of offlineDrift) expect(e.enqueuedAt).toBeGreaterThanOrEqual(outageStartedAt);
    // ...and not in the log yet: nothing got through.
    const events = await g.allEvents();
    expect(ofCluster(events, 'DriftDetected')).toEqual([]);
    expect(events.filter((e) => offlineDrift.some((d) => d.msgId === e.metadata.causationId))).toEqual([]);

    // A commit while the agent is cut off: the hub (reached by webhook over HTTP) renders it
    // and assigns it in the log; the agent cannot hear of it.
    commitB = await g.git.commit('web: greeting B', { 'apps/web/config.yaml': configYaml('hello from B') });
    expect(await g.webhook()).toBe(202);
    await eventually(
      async () =>
        ofCluster(await g.allEvents(), 'DesiredStateAssigned').find((e) => webAssignment(e)?.commit === commitB),
      settleMs,
      'DesiredStateAssigned of commit B during the outage',
    );
    expect(await greeting()).toBe('hello from A');
    expect(ofCommit(await g.allEvents(), 'SyncStarted', commitB)).toEqual([]);
  });

  it('after NATS restarts, the journaled reports arrive exactly once, the agent syncs commit B, and liveness saw the outage', async () => {
    restartRequestedAt = Date.now();
    await g.fleet.nats.restart();

    // The agent asks for its desired state on reconnect and syncs the commit it missed.
    await eventually(
      async () => ((await greeting()) === 'hello from B' ? true : undefined),
      settleMs,
      'commit B applied after the reconnect',
    );
    const succeeded = await eventually(
      async () => ofCommit(await g.allEvents(), 'SyncSucceeded', commitB)[0],
      settleMs,
      'SyncSucceeded at commit B',
    );
    const assignedB = ofCluster(await g.allEvents(), 'DesiredStateAssigned').find(
      (e) => webAssignment(e)?.commit === commitB,
    )!;
    expect((succeeded.data as { revision: number }).revision).toBe((assignedB.data as { revision: number }).revision);

    // The outbox drains, and the hub's shared consumer has nothing left to deliver: every
    // report is in the log, so counting now is final.
    await eventually(
      async () => ((await pendingOutboxEntries(eu)).length === 0 ? true : undefined),
      settleMs,
      'the outbox drained after the reconnect',
    );
    const nc = await g.fleet.nats.connect();
    try {
      const jsm = await jetstreamManager(nc);
      await eventually(
        async () => {
          const info = await jsm.consumers.info('FLOTILLA_STATUS', 'flotilla-hub-status');
          return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
        },
        settleMs,
        'the hub consumer caught up with FLOTILLA_STATUS',
      );
    } finally {
      await nc.close();
    }

    const events = await g.allEvents();
    // Exactly once: the journaled reports became events under their own message ids, one each.
    const detected = ofCluster(events, 'DriftDetected');
    const corrected = ofCluster(events, 'DriftCorrected');
    expect(detected.map((e) => e.metadata.causationId)).toEqual([offlineDrift[0]!.msgId]);
    expect(corrected.map((e) => e.metadata.causationId)).toEqual([offlineDrift[1]!.msgId]);
    expect(detected[0]!.data).toMatchObject({
      clusterId: eu.id,
      application: 'web',
      resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'web-config' },
      reason: 'modified',
      mode: 'correct',
    });
    expect((detected[0]!.data as { fields: Array<{ path: string; live: unknown }> }).fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: '/data/greeting', live: 'edited while cut off' })]),
    );
    // Detected while offline, not when it arrived.
    const detectedAt = Date.parse((detected[0]!.data as { at: string }).at);
    expect(detectedAt).toBeGreaterThanOrEqual(outageStartedAt);
    expect(detectedAt).toBeLessThan(restartRequestedAt);
    expect(detected[0]!.recordedAt.getTime()).toBeGreaterThanOrEqual(restartRequestedAt);
    // In the order it happened: the drift before the sync of the commit that came later.
    expect(detected[0]!.position).toBeLessThan(corrected[0]!.position);
    expect(corrected[0]!.position).toBeLessThan(ofCommit(events, 'SyncStarted', commitB)[0]!.position);
    expect(ofCommit(events, 'SyncSucceeded', commitB)).toHaveLength(1);
    // The log's status events carry no duplicate report ids (a redelivery appends nothing).
    const statusIds = events
      .filter((e) => e.streamId === `cluster-${eu.id}` && e.metadata.causationId !== undefined)
      .map((e) => e.metadata.causationId);
    expect(new Set(statusIds).size).toBe(statusIds.length);

    // Liveness saw the outage: connected, disconnected during it, connected again after it.
    const seen = await eventually(
      async () => {
        const t = (await transitions()).slice(transitionsBefore);
        return t.length >= 2 ? t : undefined;
      },
      settleMs,
      'ClusterConnected again after the outage',
    );
    expect(seen.slice(0, 2).map((e) => e.type)).toEqual(['ClusterDisconnected', 'ClusterConnected']);
    expect(seen[0]!.recordedAt.getTime()).toBeLessThan(restartRequestedAt);
    expect(seen[1]!.recordedAt.getTime()).toBeGreaterThanOrEqual(restartRequestedAt);

    await eventually(
      async () => {
        const { status, body } = await g.fleet.api('GET', '/api/v1/applications/web/status');
        const mine = status === 200 ? (body as StatusView).clusters.find((c) => c.clusterId === eu.id) : undefined;
        return mine?.state === 'connected' &&
          mine.sync === 'synced' &&
          mine.health === 'healthy' &&
          mine.appliedCommit === commitB
          ? true
          : undefined;
      },
      settleMs,
      'web connected, synced and healthy at commit B',
    );
    // The agent rode out the outage in one process: it never exited.
    expect(eu.agent.proc.exitCode).toBeNull();
    // And what every fault test shows (fault-harness.ts): reports in the order sent, converged
    // within the bound, audit verify ok, views equal a rebuild.
    await expectRecovered(g.fleet, {
      label: 'NATS outage',
      clusters: [eu],
      settleMs,
      converge: { application: 'web', commit: commitB, since: restartRequestedAt, boundMs: convergeBoundMs },
    });
  });
});
