import type { RecordedEvent } from '@flotilla/event-store';
import { flotilla } from '../e2e/cli-process';
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
import { accountReports, allEvents, expectRecovered } from './fault-harness';
import { createNetworkNamespace, type NetworkNamespace } from './netns';

// Issue 11: one agent cut off from the hub by a network partition for longer than the liveness
// timeout. The agent runs in a network namespace of the test's own (`ip netns add`, a veth
// pair); NATS and the Kubernetes emulator listen on the host end of the pair. The cut drops
// the agent's packets to and from the NATS port (nftables inside the namespace: no reset, no
// refusal, the packets vanish), so the agent keeps its own cluster (it corrects drift
// offline) and loses only the hub, as an agent in a cut-off site would. The cut cluster must be
// shown disconnected the whole time it is cut (never connected, never healthy), the other
// cluster goes on; once the cut heals the agent reconnects, its outbox flushes, and every
// report is recorded once, in the order sent. Real processes: the hub, operator-mode NATS,
// two agents (one in the namespace), the emulator, Postgres. The `it`s build on each other.
jest.setTimeout(300_000);

/** Short, so the cut is many times the liveness timeout (3 s) in a test that stays short. */
const heartbeatIntervalMs = 1_000;
const missedHeartbeats = 3;
const livenessTimeoutMs = heartbeatIntervalMs * missedHeartbeats;
/** How long the agent stays cut off. */
const cutMs = 20_000;
/** The cut cluster is shown disconnected within this of the cut (liveness timeout, check period, a loaded machine). */
const detectBoundMs = 15_000;
/** Every cluster connected, synced and healthy at the new commit within this of the cut healing. */
const convergeBoundMs = 60_000;
/** Generous: other suites run beside this one on two cores. */
const settleMs = 90_000;

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

interface ClusterView {
  id: string;
  state: string;
}
interface StatusView {
  clusters: Array<{ clusterId: string; state: string; sync: string; health: string; appliedCommit: string | null }>;
}
/** What the hub showed of the cut cluster at one moment of the cut. */
interface Sample {
  at: number;
  clusterState: string | undefined;
  appState: string | undefined;
  appHealth: string | undefined;
  nearState: string | undefined;
}

describe('a network partition of one agent, longer than the liveness timeout', () => {
  let ns: NetworkNamespace;
  let g: GitopsFleet;
  let cut: GitopsCluster;
  let near: GitopsCluster;
  let commitB: string;
  let cutAt: number;
  let restoredAt: number;
  let transitionsBefore: number;
  let offlineDrift: PendingOutboxEntry[];

  const greeting = async (c: GitopsCluster) =>
    (await readConfigMap(c, 'web-cut', 'web-config').catch(() => undefined))?.data?.greeting;
  const transitions = async () =>
    (await g.fleet.store.readStream(`cluster-${cut.id}`)).filter(
      (e) => e.type === 'ClusterConnected' || e.type === 'ClusterDisconnected',
    );
  const appRow = async (clusterId: string) => {
    const { status, body } = await g.fleet.api('GET', '/api/v1/applications/web/status');
    return status === 200 ? (body as StatusView).clusters.find((c) => c.clusterId === clusterId) : undefined;
  };
  const ofCluster = (events: RecordedEvent[], type: string, clusterId: string) =>
    events.filter((e) => e.streamId === `cluster-${clusterId}` && e.type === type);

  beforeAll(async () => {
    ns = await createNetworkNamespace();
    g = await startGitopsFleet(
      [
        { name: 'cut-emu', labels: { env: 'prod', region: 'cut' }, api: 'emulator', netns: ns.name },
        { name: 'near-emu', labels: { env: 'prod', region: 'near' }, api: 'emulator' },
      ],
      { listenHost: ns.hostIp, heartbeatIntervalMs, missedHeartbeats },
    );
    cut = g.clusters['cut-emu']!;
    near = g.clusters['near-emu']!;
  }, 240_000);
  afterAll(async () => {
    await g?.close();
    await ns?.dispose();
  }, 120_000);

  it('starts with both clusters connected, synced and healthy at commit A', async () => {
    const commitA = await g.git.commit('web: first version', {
      'apps/web/namespace.yaml': namespaceYaml,
      'apps/web/config.yaml': configYaml('hello from A'),
    });
    await g.addSource(commitA, settleMs);
    // The application brings its own Namespace: cluster-scoped, so an admin grants the kind.
    await g.grantPolicy('web', { clusterScopedKinds: ['Namespace'] });
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    for (const c of [cut, near])
      await eventually(
        async () => {
          const row = await appRow(c.id);
          return row?.state === 'connected' && row.sync === 'synced' && row.health === 'healthy' ? true : undefined;
        },
        settleMs,
        `web connected, synced and healthy at commit A on ${c.name}`,
      );
    expect(await greeting(cut)).toBe('hello from A');
    await eventually(
      async () => ((await pendingOutboxEntries(cut)).length === 0 ? true : undefined),
      settleMs,
      'the outbox of the agent to be cut drained',
    );
    const before = await eventually(
      async () => {
        const t = await transitions();
        return t.at(-1)?.type === 'ClusterConnected' ? t : undefined;
      },
      settleMs,
      'the cluster to be cut connected before the cut',
    );
    transitionsBefore = before.length;
  });

  it('cut off: shown disconnected (never connected, never healthy) all the time it is cut; it corrects drift offline; the other cluster syncs commit B', async () => {
    await ns.cut(g.fleet.nats.port);
    cutAt = Date.now();

    // The hub's view, polled the whole time the cut lasts.
    const samples: Sample[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const [clusters, cutRow, nearRow] = await Promise.all([
          g.fleet.api('GET', '/api/v1/clusters'),
          appRow(cut.id),
          appRow(near.id),
        ]).catch(() => [undefined, undefined, undefined] as const);
        const items = (clusters?.body?.items ?? []) as ClusterView[];
        if (polling)
          samples.push({
            at: Date.now(),
            clusterState: items.find((c) => c.id === cut.id)?.state,
            appState: cutRow?.state,
            appHealth: cutRow?.health,
            nearState: nearRow?.state,
          });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    try {
      const disconnected = await eventually(
        async () => (await transitions()).slice(transitionsBefore)[0],
        detectBoundMs,
        `ClusterDisconnected within ${detectBoundMs} ms of the cut`,
      );
      expect(disconnected.type).toBe('ClusterDisconnected');
      expect(disconnected.metadata.actor).toBe('system:liveness');

      // The agent keeps its own cluster: a hand edit is detected and undone with no hub to ask,
      // and the reports wait in its outbox.
      await kubectlEditConfigMap(cut, 'web-cut', 'web-config', { data: { greeting: 'edited while cut off' } });
      await eventually(
        async () => ((await greeting(cut)) === 'hello from A' ? true : undefined),
        settleMs,
        'the hand edit undone by the cut-off agent',
      );
      offlineDrift = await eventually(
        async () => {
          const drift = (await pendingOutboxEntries(cut)).filter((e) =>
            /\.status\.drift-(detected|corrected)$/.test(e.subject),
          );
          return drift.length === 2 ? drift : undefined;
        },
        settleMs,
        'DriftDetected and DriftCorrected journaled in the outbox of the cut-off agent',
      );

      // A commit during the cut: the other cluster syncs it; the cut one cannot hear of it.
      commitB = await g.git.commit('web: greeting B', { 'apps/web/config.yaml': configYaml('hello from B') });
      expect(await g.webhook()).toBe(202);
      await eventually(
        async () => {
          const row = await appRow(near.id);
          return row?.sync === 'synced' && row.appliedCommit === commitB ? true : undefined;
        },
        settleMs,
        'the other cluster synced at commit B during the cut',
      );

      // `flotilla clusters list`, as a person would look, mid-cut.
      const listed = await flotilla(['clusters', 'list'], {
        FLOTILLA_HUB_URL: g.fleet.hubUrl,
        FLOTILLA_TOKEN: g.fleet.adminToken,
      });
      expect(listed.code).toBe(0);
      expect(listed.stdout.split('\n').find((l) => l.includes('cut-emu'))).toMatch(/disconnected/);
      process.stderr.write(`[faults] network partition: flotilla clusters list mid-cut:\n${listed.stdout}`);

      // Cut for longer than the liveness timeout, many times over: the fault's length, not a wait for readiness.
      const left = cutAt + cutMs - Date.now();
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      expect(await greeting(cut)).toBe('hello from A');
    } finally {
      polling = false;
      await poller;
    }
    restoredAt = Date.now();
    await ns.restore();

    expect(restoredAt - cutAt).toBeGreaterThan(cutMs - 1);
    expect(cutMs).toBeGreaterThan(livenessTimeoutMs * 5);
    // Shown disconnected from the first time it was (within the bound) to the end of the cut: never connected, never healthy.
    const firstShown = samples.findIndex((s) => s.clusterState === 'disconnected');
    expect(firstShown).toBeGreaterThanOrEqual(0);
    expect(samples[firstShown]!.at - cutAt).toBeLessThan(detectBoundMs);
    const during = samples.slice(firstShown);
    expect(during.length).toBeGreaterThan(10);
    expect(during.filter((s) => s.clusterState !== 'disconnected')).toEqual([]);
    expect(during.filter((s) => s.appState === 'connected' || s.appHealth === 'healthy')).toEqual([]);
    // The log agrees: one transition during the cut, to disconnected.
    const t = (await transitions()).slice(transitionsBefore).filter((e) => e.recordedAt.getTime() < restoredAt);
    expect(t.map((e) => e.type)).toEqual(['ClusterDisconnected']);
    // ...and nothing the agent journaled while cut off reached the log.
    expect(
      (await allEvents(g.fleet)).filter((e) => offlineDrift.some((d) => d.msgId === e.metadata.causationId)),
    ).toEqual([]);
    process.stderr.write(
      `[faults] network partition: cut ${restoredAt - cutAt} ms (liveness timeout ${livenessTimeoutMs} ms); ` +
        `shown disconnected ${samples[firstShown]!.at - cutAt} ms after the cut, then in all ${during.length} polls until it healed; ` +
        `the other cluster connected in ${samples.filter((s) => s.nearState === 'connected').length} of ${samples.length} polls\n`,
    );
  });

  it('healed: the agent reconnects, its outbox flushes, every report is recorded once in order, all converge, audit ok, views equal a rebuild', async () => {
    const reconnected = await eventually(
      async () => {
        const t = (await transitions()).slice(transitionsBefore);
        return t.at(-1)?.type === 'ClusterConnected' ? t.at(-1) : undefined;
      },
      convergeBoundMs,
      'ClusterConnected after the cut healed',
    );
    expect(reconnected.recordedAt.getTime()).toBeGreaterThanOrEqual(restoredAt);
    await eventually(
      async () => ((await greeting(cut)) === 'hello from B' ? true : undefined),
      convergeBoundMs,
      'commit B applied on the cut cluster after the cut healed',
    );
    await eventually(
      async () => ((await pendingOutboxEntries(cut)).length === 0 ? true : undefined),
      settleMs,
      'the outbox of the cut-off agent flushed',
    );
    const events = await allEvents(g.fleet);
    // The reports journaled while cut off, each recorded once, before the sync of the commit it missed.
    const detected = ofCluster(events, 'DriftDetected', cut.id);
    const corrected = ofCluster(events, 'DriftCorrected', cut.id);
    expect(detected.map((e) => e.metadata.causationId)).toEqual([offlineDrift[0]!.msgId]);
    expect(corrected.map((e) => e.metadata.causationId)).toEqual([offlineDrift[1]!.msgId]);
    const syncB = ofCluster(events, 'SyncStarted', cut.id).find(
      (e) => (e.data as { commit: string }).commit === commitB,
    );
    expect(corrected[0]!.position).toBeLessThan(syncB!.position);
    const accounting = await accountReports(g.fleet, cut);
    expect(accounting.sentOrder).toEqual(expect.arrayContaining(offlineDrift.map((d) => d.msgId)));

    await expectRecovered(g.fleet, {
      label: 'network partition',
      clusters: [cut, near],
      settleMs,
      converge: { application: 'web', commit: commitB, since: restoredAt, boundMs: convergeBoundMs },
    });
    expect(cut.agent.proc.exitCode).toBeNull();
  });
});
