import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { ApisApi, CoreApi, VersionApi } from '@kubernetes/client-node';
import { DesiredStatePayloadSchema, DesiredStateSchema, desiredStateSubject, messageMeta } from '@flotilla/contracts';
import type { RecordedEvent } from '@flotilla/event-store';
import {
  eventually,
  kubectlEditConfigMap,
  markDeploymentsAvailable,
  namespaceGone,
  readConfigMap,
  readDeployment,
  startGitopsFleet,
  type GitopsCluster,
  type GitopsFleet,
} from './gitops-harness';

// The GitOps loop (issue 5) end to end: a git repository made here, the hub, and three agents
// as processes, each reconciling its own Kubernetes API (the real kube-apiserver for eu-real,
// emulated clusters for us-emu and ap-emu). Every step is what a user does over REST; the
// log is read from the event store and the clusters with client-node. The `it`s share one
// fleet and build on each other, in order.
jest.setTimeout(240_000);

/** Generous: two Jest workers run other suites beside this one on two cores. */
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
  debug: "true"
`;
const deploymentYaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: nginx:1.25
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
      patches:
        - target: { kind: Deployment, name: web }
          merge:
            spec:
              replicas: 2
            metadata:
              labels:
                region: \${cluster.labels.region}
        - target: { kind: ConfigMap, name: web-config }
          jsonPatch:
            - { op: add, path: /data/cluster, value: '\${cluster.name}' }
            - { op: remove, path: /data/debug }
  syncPolicy:
    automated: true
    prune: true
    driftMode: correct
`;

type Labels = Record<string, string>;
const specs: Array<{ name: string; labels: Labels; api: 'kube-apiserver' | 'emulator' }> = [
  { name: 'eu-real', labels: { env: 'prod', region: 'eu' }, api: 'kube-apiserver' },
  { name: 'us-emu', labels: { env: 'prod', region: 'us' }, api: 'emulator' },
  { name: 'ap-emu', labels: { env: 'staging', region: 'ap' }, api: 'emulator' },
];

interface StatusView {
  summary: { clusters: number; synced: number; healthy: number; drifted: number; failed: number };
  clusters: Array<{
    clusterId: string;
    clusterName: string;
    sync: string;
    health: string;
    appliedCommit: string | null;
  }>;
}

describe('the GitOps loop: git -> hub -> agents -> three Kubernetes APIs', () => {
  let g: GitopsFleet;
  let eu: GitopsCluster;
  let us: GitopsCluster;
  let ap: GitopsCluster;
  let commitA: string;
  let commitB: string;

  const regionOf = (c: GitopsCluster) => specs.find((s) => s.name === c.name)!.labels.region!;
  const nsOf = (c: GitopsCluster) => `web-${regionOf(c)}`;
  const greetingOn = async (c: GitopsCluster) => (await readConfigMap(c, nsOf(c), 'web-config'))?.data?.greeting;
  const clusterEvents = (events: RecordedEvent[], c: GitopsCluster, type: string) =>
    events.filter((e) => e.streamId === `cluster-${c.id}` && e.type === type);
  const webAssignment = (e: RecordedEvent) =>
    (e.data as { applications: Array<{ name: string; commit: string }> }).applications.find((a) => a.name === 'web');

  /** Until the ConfigMap on each cluster has the greeting (and, on the real server, Deployments carry a kubelet-like status). */
  async function waitForGreeting(clusters: GitopsCluster[], greeting: string, what: string): Promise<void> {
    await eventually(
      async () => {
        for (const c of clusters) if ((await greetingOn(c)) !== greeting) return undefined;
        return true;
      },
      settleMs,
      what,
    );
  }

  /** Until the application's status shows exactly these clusters synced and healthy on the commit. */
  async function waitForStatus(clusters: GitopsCluster[], commit: string): Promise<StatusView> {
    return eventually(
      async () => {
        // The real server has no kubelet: stand in for it whenever a new generation appears.
        if (clusters.includes(eu)) await markDeploymentsAvailable(eu, nsOf(eu));
        const { status, body } = await g.fleet.api('GET', '/api/v1/applications/web/status');
        if (status !== 200) return undefined;
        const view = body as StatusView;
        const ids = view.clusters.map((c) => c.clusterId).sort();
        if (JSON.stringify(ids) !== JSON.stringify(clusters.map((c) => c.id).sort())) return undefined;
        const ok = view.clusters.every(
          (c) => c.sync === 'synced' && c.health === 'healthy' && c.appliedCommit === commit,
        );
        return ok ? view : undefined;
      },
      settleMs,
      `application web synced and healthy at ${commit.slice(0, 8)} on ${clusters.map((c) => c.name).join(', ')}`,
    );
  }

  /** CommitObserved -> DesiredStateAssigned (web at commit) -> SyncStarted -> SyncSucceeded on each cluster, by position. */
  async function expectLogOrder(clusters: GitopsCluster[], commit: string): Promise<void> {
    const events = await eventually(
      async () => {
        const all = await g.allEvents();
        const done = clusters.every((c) =>
          clusterEvents(all, c, 'SyncSucceeded').some((e) => (e.data as { commit: string }).commit === commit),
        );
        return done ? all : undefined;
      },
      settleMs,
      `SyncSucceeded at ${commit.slice(0, 8)} on every targeted cluster`,
    );
    const observed = events.find((e) => e.type === 'CommitObserved' && (e.data as { sha: string }).sha === commit);
    expect(observed).toBeDefined();
    for (const c of clusters) {
      const assigned = clusterEvents(events, c, 'DesiredStateAssigned').find(
        (e) => webAssignment(e)?.commit === commit,
      );
      const ofCommit = (type: string) =>
        clusterEvents(events, c, type).find(
          (e) =>
            (e.data as { application: string; commit: string }).application === 'web' &&
            (e.data as { commit: string }).commit === commit,
        );
      const started = ofCommit('SyncStarted');
      const succeeded = ofCommit('SyncSucceeded');
      expect({ cluster: c.name, assigned: !!assigned, started: !!started, succeeded: !!succeeded }).toEqual({
        cluster: c.name,
        assigned: true,
        started: true,
        succeeded: true,
      });
      expect(observed!.position).toBeLessThan(assigned!.position);
      expect(assigned!.position).toBeLessThan(started!.position);
      expect(started!.position).toBeLessThan(succeeded!.position);
      // The agent reports the revision it was given.
      expect((succeeded!.data as { revision: number }).revision).toBe(
        (assigned!.data as { revision: number }).revision,
      );
      expect(succeeded!.metadata.actor).toBe(`agent:${c.id}`);
    }
  }

  beforeAll(async () => {
    g = await startGitopsFleet(specs);
    eu = g.clusters['eu-real']!;
    us = g.clusters['us-emu']!;
    ap = g.clusters['ap-emu']!;
  }, 240_000);
  afterAll(async () => {
    await g?.close();
  }, 120_000);

  it('each agent reported at registration the version and API versions its API server serves (Helm renders with them)', async () => {
    const all = await g.allEvents();
    for (const c of [eu, us]) {
      const registered = clusterEvents(all, c, 'ClusterRegistered')[0]!.data as {
        kubernetesVersion: string;
        apiVersions?: string[];
      };
      // Asked here of the same server, as the agent did.
      const version = (await c.kc.makeApiClient(VersionApi).getCode()).gitVersion;
      const [core, groups] = await Promise.all([
        c.kc.makeApiClient(CoreApi).getAPIVersions(),
        c.kc.makeApiClient(ApisApi).getAPIVersions(),
      ]);
      const served = [...core.versions, ...groups.groups.flatMap((gr) => gr.versions.map((v) => v.groupVersion))];
      expect({ cluster: c.name, kubernetesVersion: registered.kubernetesVersion }).toEqual({
        cluster: c.name,
        kubernetesVersion: version,
      });
      expect(registered.apiVersions).toEqual([...new Set(served)].sort());
    }
    // The real kube-apiserver the tests build (test/kube/build.sh) is v1.20.2.
    const real = clusterEvents(all, eu, 'ClusterRegistered')[0]!.data as {
      kubernetesVersion: string;
      apiVersions: string[];
    };
    expect(real.kubernetesVersion).toMatch(/^v1\.20\.2/);
    expect(real.apiVersions).toEqual(
      expect.arrayContaining(['v1', 'apps/v1', 'apiextensions.k8s.io/v1', 'policy/v1beta1']),
    );
  });

  it('a commit reaches exactly the clusters whose labels match, customised per cluster, synced and healthy', async () => {
    commitA = await g.git.commit('web: first version', {
      'apps/web/namespace.yaml': namespaceYaml,
      'apps/web/config.yaml': configYaml('hello from A'),
      'apps/web/deployment.yaml': deploymentYaml,
    });
    // Polled once at once when added, then hourly: every later commit arrives by webhook.
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
      'CommitObserved of the first commit',
    );
    await g.grantPolicy('web', { clusterScopedKinds: ['Namespace'] }); // The application brings its own Namespace: cluster-scoped, so an admin grants the kind.
    const applied = await g.putApplication('web', applicationYaml);
    expect(applied.status).toBe(201);

    await waitForGreeting([eu, us], 'hello from A', 'the first commit on eu-real and us-emu');
    // Synced means every object of the bundle is applied (the ConfigMap lands before the Deployment).
    const status = await waitForStatus([eu, us], commitA);
    expect(status.summary).toMatchObject({ clusters: 2, synced: 2, healthy: 2, failed: 0 });
    for (const c of [eu, us]) {
      const config = await readConfigMap(c, nsOf(c), 'web-config');
      // JSON patch: ${cluster.name} added, debug removed.
      expect(config?.data).toEqual({ greeting: 'hello from A', cluster: c.name });
      const deployment = await readDeployment(c, nsOf(c), 'web');
      // Merge patch: replicas and a label carrying ${cluster.labels.region}.
      expect(deployment?.spec?.replicas).toBe(2);
      expect(deployment?.metadata?.labels?.region).toBe(regionOf(c));
    }
    await expectLogOrder([eu, us], commitA);

    // ap-emu (env=staging) got nothing: no assignment of web, no namespace.
    const events = await g.allEvents();
    expect(clusterEvents(events, ap, 'DesiredStateAssigned').filter((e) => webAssignment(e))).toEqual([]);
    expect(await namespaceGone(ap, 'web-ap')).toBe(true);
  });

  it('a signed webhook triggers the sync at once (the poll is hourly); a bad signature is refused with 401', async () => {
    commitB = await g.git.commit('web: greeting B', { 'apps/web/config.yaml': configYaml('hello from B') });

    expect(await g.webhook({ secret: 'not-the-secret' })).toBe(401);
    const rejected = await eventually(
      async () => (await g.fleet.events({ types: ['WebhookRejected'] }))[0],
      settleMs,
      'WebhookRejected',
    );
    expect(rejected.data).toMatchObject({ source: g.sourceName, provider: 'github', reason: 'invalid-signature' });
    expect(JSON.stringify(await g.allEvents())).not.toContain(g.webhookSecret);

    expect(await g.webhook()).toBe(202);
    await waitForGreeting([eu, us], 'hello from B', 'the webhook-triggered commit on eu-real and us-emu');
    await expectLogOrder([eu, us], commitB);
    await waitForStatus([eu, us], commitB);
  });

  it('pinning the previous commit rolls every targeted cluster back; unpinning rolls forward', async () => {
    const pinned = await g.fleet.api('POST', '/api/v1/applications/web/pin', { commit: commitA });
    expect(pinned.status).toBe(200);
    await waitForGreeting([eu, us], 'hello from A', 'the rollback to the pinned commit');
    await waitForStatus([eu, us], commitA);

    const unpinned = await g.fleet.api('POST', '/api/v1/applications/web/unpin');
    expect(unpinned.status).toBe(200);
    await waitForGreeting([eu, us], 'hello from B', 'the roll forward after unpinning');
    await waitForStatus([eu, us], commitB);
  });

  it('a commit with invalid YAML yields RenderFailed and leaves every cluster on the previous commit', async () => {
    const assignedBefore = (await g.fleet.events({ types: ['DesiredStateAssigned'] })).length;
    const commitC = await g.git.commit('web: broken', {
      'apps/web/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata: [unclosed\n',
    });
    expect(await g.webhook()).toBe(202);
    const failed = await eventually(
      async () =>
        (await g.fleet.events({ types: ['RenderFailed'] })).find(
          (e) => (e.data as { commit: string }).commit === commitC,
        ),
      settleMs,
      'RenderFailed of the broken commit',
    );
    expect(failed.streamId).toBe('application-web');
    expect((failed.data as { errors: Array<{ file: string | null }> }).errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ file: 'apps/web/config.yaml' })]),
    );
    const observed = (await g.fleet.events({ types: ['CommitObserved'] })).find(
      (e) => (e.data as { sha: string }).sha === commitC,
    );
    expect(observed!.position).toBeLessThan(failed.position);
    // Everything the hub does about the commit is appended before its reactor moves past it.
    await g.reactorPassed(observed!.position);
    const assigned = await g.fleet.events({ types: ['DesiredStateAssigned'] });
    expect(assigned.length).toBe(assignedBefore);
    expect(assigned.filter((e) => webAssignment(e)?.commit === commitC)).toEqual([]);
    for (const c of [eu, us]) expect(await greetingOn(c)).toBe('hello from B');
    const status = await waitForStatus([eu, us], commitB);
    expect(status.summary.failed).toBe(0);
  });

  it('a kubectl edit on the real server is detected with its field path and, in correct mode, undone', async () => {
    // Nothing before this edit was drift: not the agents' own applies, not the status writes
    // standing in for kubelet, not the emulator's controllers.
    const driftBefore = (await g.allEvents()).filter((e) => e.type === 'DriftDetected');
    expect(driftBefore.map((e) => e.data)).toEqual([]);
    await kubectlEditConfigMap(eu, nsOf(eu), 'web-config', { data: { greeting: 'edited by hand' } });

    const detected = await eventually(
      async () => clusterEvents(await g.allEvents(), eu, 'DriftDetected')[0],
      settleMs,
      'DriftDetected on eu-real',
    );
    expect(detected.data).toMatchObject({
      clusterId: eu.id,
      application: 'web',
      resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web-eu', name: 'web-config' },
      reason: 'modified',
      mode: 'correct',
    });
    expect((detected.data as { fields: Array<{ path: string }> }).fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: '/data/greeting' })]),
    );
    const corrected = await eventually(
      async () => clusterEvents(await g.allEvents(), eu, 'DriftCorrected').find((e) => e.position > detected.position),
      settleMs,
      'DriftCorrected on eu-real',
    );
    expect(corrected.data).toMatchObject({ application: 'web', resource: { name: 'web-config' } });
    await waitForGreeting([eu], 'hello from B', 'the edit undone on eu-real');
    // One edit, one drift: the correction itself is not reported as drift again.
    const drift = (await g.allEvents()).filter((e) => e.type === 'DriftDetected');
    expect(drift.map((e) => e.position)).toEqual([detected.position]);
  });

  it('a desired state signed with another key than the hub’s is refused by the agent: nothing applied, refusal logged', async () => {
    // The hub's own NATS user may publish on the agent's desired subject; only the key signs.
    const nc: NatsConnection = await connect({
      servers: g.fleet.nats.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(await g.fleet.authority.hubCreds())),
      timeout: 10_000,
    });
    try {
      const forger = generateKeyPairSync('ed25519');
      // A far newer revision assigning nothing: accepted, it would prune web from us-emu.
      const payload = toBinary(
        DesiredStatePayloadSchema,
        create(DesiredStatePayloadSchema, { clusterId: us.id, revision: 1_000_000n, applications: [] }),
      );
      const forged = create(DesiredStateSchema, {
        meta: messageMeta({ id: randomUUID(), clusterId: us.id, sentAt: new Date() }),
        payload,
        signature: sign(null, payload, forger.privateKey),
      });
      nc.publish(desiredStateSubject(us.id), toBinary(DesiredStateSchema, forged));
      await nc.flush();
    } finally {
      await nc.close();
    }
    await us.agent.waitFor(/signature does not verify[^\n]*\(via push\); nothing applied/, settleMs);
    expect(us.agent.output()).not.toMatch(/revision 1000000 accepted/);
    expect(await greetingOn(us)).toBe('hello from B');
    const removed = (await g.allEvents()).filter(
      (e) => e.type === 'ApplicationRemoved' && e.streamId === `cluster-${us.id}`,
    );
    expect(removed).toEqual([]);
  });

  it('relabelling moves the application onto the cluster that now matches and off (pruned) the one that no longer does', async () => {
    const offEu = await g.fleet.api('PUT', `/api/v1/clusters/${eu.id}/labels`, {
      labels: { env: 'staging', region: 'eu' },
    });
    expect(offEu.status).toBe(200);
    const ontoAp = await g.fleet.api('PUT', `/api/v1/clusters/${ap.id}/labels`, {
      labels: { env: 'prod', region: 'ap' },
    });
    expect(ontoAp.status).toBe(200);

    // ap-emu joins at the last good commit (the head is the broken one), customised for itself.
    await waitForGreeting([ap], 'hello from B', 'web on ap-emu after relabelling');
    const status = await waitForStatus([us, ap], commitB);
    expect(status.summary).toMatchObject({ clusters: 2, synced: 2, healthy: 2 });
    expect(status.clusters.map((c) => c.clusterName).sort()).toEqual(['ap-emu', 'us-emu']);
    expect((await readConfigMap(ap, 'web-ap', 'web-config'))?.data).toEqual({
      greeting: 'hello from B',
      cluster: 'ap-emu',
    });
    expect((await readDeployment(ap, 'web-ap', 'web'))?.metadata?.labels?.region).toBe('ap');

    // eu-real: pruned, down to its namespace, which the real controller-manager finalizes.
    const removed = await eventually(
      async () =>
        clusterEvents(await g.allEvents(), eu, 'ApplicationRemoved').find(
          (e) => (e.data as { application: string }).application === 'web',
        ),
      settleMs,
      'ApplicationRemoved of web on eu-real',
    );
    expect(removed.data).toMatchObject({ clusterId: eu.id, application: 'web', pruned: true });
    await eventually(
      async () => ((await namespaceGone(eu, 'web-eu')) ? true : undefined),
      settleMs,
      'namespace web-eu gone',
    );
    expect(await readConfigMap(eu, 'web-eu', 'web-config')).toBeUndefined();

    // The log is intact after all of it.
    expect(await g.fleet.store.verify()).toMatchObject({ ok: true });
  });
});
