import { defaultObjectPolicy, parseApplicationSpec } from '@flotilla/manifests';
import type { AssignedApplication, RenderFailure } from './desired-state.events';
import { planEvent, type PlannedApplication, type PlannedEvent, type PlannerView } from './desired-state.planner';
import type { ApplicationChange } from './next-desired-state';
import { enforceObjectPolicy } from './object-policy-check';
import { decideRender, pairsToRender, type RenderDecision, type RenderOutcome } from './render-decision';

// The planner's rules, given/when/then. A scenario is the reactor's loop without I/O: plan
// the event, "render" each pair (a table says which (commit, cluster) fail), decide, repeat
// with the follow-ups.

const sha = (n: number) => n.toString(16).padStart(40, '0');
const C1 = 'c0000000000000001';
const C2 = 'c0000000000000002';
const C3 = 'c0000000000000003';

const specOf = (extra: Record<string, unknown> = {}) =>
  parseApplicationSpec({
    apiVersion: 'flotilla.dev/v1',
    kind: 'Application',
    metadata: { name: 'web' },
    spec: { source: 'repo', path: 'apps/web', targets: [{ group: 'prod' }], syncPolicy: { automated: true }, ...extra },
  }).spec;

const web = (over: Partial<PlannedApplication> = {}): PlannedApplication => ({
  name: 'web',
  spec: specOf(),
  pinnedCommit: null,
  goodCommit: sha(1),
  failedCommit: null,
  policy: defaultObjectPolicy,
  ...over,
});

const view = (over: Partial<PlannerView> = {}): PlannerView => ({
  applications: [web()],
  clusters: [
    { clusterId: C1, name: 'one', labels: { env: 'prod' } },
    { clusterId: C2, name: 'two', labels: { env: 'prod' } },
    { clusterId: C3, name: 'three', labels: { env: 'dev' } },
  ],
  groups: [{ name: 'prod', selector: { matchLabels: { env: 'prod' } } }],
  latestCommits: { repo: sha(1) },
  ...over,
});

const runningAt = (
  commit: string,
  clusterId: string,
  extra: Partial<AssignedApplication> = {},
): AssignedApplication => ({
  name: 'web',
  source: 'repo',
  commit,
  bundleDigest: digest(commit, clusterId),
  policy: { automated: true, prune: false, driftMode: 'detect', ignoredFields: {} },
  objectPolicy: defaultObjectPolicy,
  ...extra,
});
/** Both prod clusters run commit 1. */
const steady = () => ({ [C1]: runningAt(sha(1), C1), [C2]: runningAt(sha(1), C2) });

/** By default each (commit, cluster) renders its own bundle; `sameContent` maps a commit to another's content. */
const digest = (commit: string, clusterId: string) => `sha256:${commit.slice(-4)}-${clusterId.slice(-1)}`;

interface Scenario {
  view?: PlannerView;
  running?: Record<string, AssignedApplication>;
  /** `commit` -> the clusters it fails to render for. */
  failing?: Record<string, string[]>;
  sameContent?: Record<string, string>;
  /** `commit` -> the objects its bundles hold (default: one empty object). */
  objects?: Record<string, unknown[]>;
}

interface Result {
  changes: Map<string, ApplicationChange[]>;
  decisions: RenderDecision[];
  renders: string[];
  /** The last assignment of web per cluster: undefined if untouched, null if removed. */
  assigned(clusterId: string): AssignedApplication | null | undefined;
}

function when(event: PlannedEvent, given: Scenario = {}): Result {
  const v = given.view ?? view();
  const running = new Map(Object.entries(given.running ?? {}));
  const queue = planEvent(v, event, 'sync-request-1');
  const result: Result = {
    changes: new Map(),
    decisions: [],
    renders: [],
    assigned(clusterId) {
      const list = this.changes.get(clusterId);
      return list ? list[list.length - 1]!.assignment : undefined;
    },
  };
  for (let request = queue.shift(); request; request = queue.shift()) {
    const outcomes: RenderOutcome[] = pairsToRender(request, running).map(({ cluster }) => {
      const commit = (request as { commit: string }).commit;
      result.renders.push(`${commit.slice(-1)}@${cluster.clusterId.slice(-1)}`);
      if (given.failing?.[commit]?.includes(cluster.clusterId)) {
        const errors: RenderFailure[] = [
          { file: 'apps/web/a.yaml', documentIndex: 0, code: 'invalid-yaml', reason: 'bad' },
        ];
        return { clusterId: cluster.clusterId, ok: false, errors };
      }
      const content = given.sameContent?.[commit] ?? commit;
      return {
        clusterId: cluster.clusterId,
        ok: true,
        bundle: { digest: digest(content, cluster.clusterId), sizeBytes: 10, objects: given.objects?.[commit] ?? [{}] },
      };
    });
    // As the reactor does: the policy is checked between rendering and deciding.
    const decision = decideRender(request, enforceObjectPolicy(request, outcomes), running);
    result.decisions.push(decision);
    for (const { clusterId, change } of decision.changes)
      result.changes.set(clusterId, [...(result.changes.get(clusterId) ?? []), change]);
    queue.push(...decision.next);
  }
  return result;
}

const commitObserved = (n: number, paths = ['apps/web/deploy.yaml'], source = 'repo'): PlannedEvent => ({
  type: 'CommitObserved',
  data: {
    source,
    branch: 'main',
    sha: sha(n),
    parents: [sha(n - 1)],
    author: { name: 'Ada', email: 'ada@example.com' },
    authoredAt: '2026-12-04T10:00:00.000Z',
    committedAt: '2026-12-04T10:00:00.000Z',
    message: `commit ${n}`,
    changedPaths: paths,
    changedPathsTruncated: false,
    observedAt: '2026-12-04T10:00:01.000Z',
  },
});
const latest = (n: number, over: Partial<PlannerView> = {}) => view({ latestCommits: { repo: sha(n) }, ...over });
const recorded = (r: Result) => ({
  rendered: r.decisions.flatMap((d) => d.rendered.map((e) => `${e.commit.slice(-1)}@${e.clusterId.slice(-1)}`)),
  failed: r.decisions.flatMap((d) => d.failed.map((e) => `${e.commit.slice(-1)}@${e.clusterId?.slice(-1) ?? '*'}`)),
});

describe('desired-state planner', () => {
  describe('the object policy', () => {
    const inWeb = (over: Partial<PlannedApplication> = {}) =>
      web({ spec: specOf({ targets: [{ group: 'prod', namespace: 'web' }] }), ...over });
    const objects = {
      [sha(2)]: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'web' } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'grant-admin' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'leak', namespace: 'kube-system' } },
      ],
    };
    const granted = {
      namespaces: ['kube-system'],
      clusterScopedKinds: ['rbac.authorization.k8s.io/ClusterRoleBinding'],
      namespacedKinds: ['*'],
    };

    it('given the default policy, when a commit adds a ClusterRoleBinding and a ConfigMap in kube-system, then RenderFailed names both with their rules and no cluster moves', () => {
      const r = when(commitObserved(2), {
        view: latest(2, { applications: [inWeb()] }),
        running: steady(),
        objects,
      });
      expect(r.assigned(C1)).toBeUndefined();
      expect(r.assigned(C2)).toBeUndefined();
      expect(r.decisions[0]!.rejected).toBe(sha(2));
      const failed = r.decisions[0]!.failed;
      expect(failed).toHaveLength(1); // the same for both clusters: recorded once
      expect(failed[0]!.errors.map((e) => [e.code, e.reason.split(':')[0]])).toEqual([
        ['policy-cluster-scoped-kind', 'rbac.authorization.k8s.io/ClusterRoleBinding grant-admin'],
        ['policy-namespace', 'ConfigMap kube-system/leak'],
      ]);
    });

    it('given that refusal, when an admin grants the kind and the namespace, then the commit renders again and every cluster moves with the policy in its assignment', () => {
      const r = when(
        { type: 'ApplicationPolicySet', data: { application: 'web', policy: granted } },
        { view: latest(2, { applications: [inWeb({ policy: granted })] }), running: steady(), objects },
      );
      expect(r.renders).toEqual(['2@1', '2@2']);
      expect(r.assigned(C1)?.commit).toBe(sha(2));
      expect(r.assigned(C2)?.objectPolicy).toEqual(granted);
      expect(recorded(r).failed).toEqual([]);
    });

    it('when a policy is set for an application that does not exist, then nothing is rendered', () => {
      const r = when({ type: 'ApplicationPolicySet', data: { application: 'other', policy: granted } }, {});
      expect(r.renders).toEqual([]);
    });
  });

  describe('a commit', () => {
    it('given clusters on commit 1, when commit 2 touches the path, then every targeted cluster moves to it and nothing else', () => {
      const r = when(commitObserved(2), { view: latest(2), running: steady() });
      expect(r.renders).toEqual(['2@1', '2@2']);
      expect(r.assigned(C1)?.commit).toBe(sha(2));
      expect(r.assigned(C2)?.commit).toBe(sha(2));
      expect(r.assigned(C3)).toBeUndefined();
      expect(recorded(r)).toEqual({ rendered: ['2@1', '2@2'], failed: [] });
      expect(r.decisions[0]!.application).toEqual({ goodCommit: sha(2), failedCommit: null });
    });

    it('when a commit touches nothing under the path (or another source), then nothing is rendered', () => {
      expect(when(commitObserved(2, ['docs/README.md']), { view: latest(2), running: steady() }).renders).toEqual([]);
      expect(when(commitObserved(2, ['apps/webber/x.yaml']), { view: latest(2), running: steady() }).renders).toEqual(
        [],
      );
      expect(
        when(commitObserved(2, ['apps/web/x.yaml'], 'other'), { view: latest(2), running: steady() }).renders,
      ).toEqual([]);
    });

    it('given an application never rendered, when any commit lands, then it renders (its first render)', () => {
      const r = when(commitObserved(2, ['docs/README.md']), {
        view: latest(2, { applications: [web({ goodCommit: null })] }),
      });
      expect(r.renders).toEqual(['2@1', '2@2']);
    });

    it('given a truncated path list or a rewritten history, then the application re-renders', () => {
      const truncated = commitObserved(2, []);
      (truncated.data as { changedPathsTruncated: boolean }).changedPathsTruncated = true;
      expect(when(truncated, { view: latest(2), running: steady() }).renders).toEqual(['2@1', '2@2']);
      const rewritten: PlannedEvent = {
        type: 'SourceHistoryRewritten',
        data: { source: 'repo', branch: 'main', previousSha: sha(3), newSha: sha(2), at: '2026-12-04T10:00:00.000Z' },
      };
      expect(when(rewritten, { view: latest(2), running: steady() }).assigned(C1)?.commit).toBe(sha(2));
    });

    it('given a pinned application (by apps pin or by its file), when a commit lands, then nothing moves', () => {
      const pinned = latest(2, { applications: [web({ pinnedCommit: sha(1) })] });
      expect(when(commitObserved(2), { view: pinned, running: steady() }).renders).toEqual([]);
      const filePinned = latest(2, { applications: [web({ spec: specOf({ pinnedCommit: sha(1) }) })] });
      expect(when(commitObserved(2), { view: filePinned, running: steady() }).renders).toEqual([]);
    });

    it('given the same objects at a new commit (a revert), then the assignment still moves to the new commit', () => {
      const r = when(commitObserved(2), { view: latest(2), running: steady(), sameContent: { [sha(2)]: sha(1) } });
      expect(r.assigned(C1)).toMatchObject({ commit: sha(2), bundleDigest: digest(sha(1), C1) });
      expect(recorded(r).rendered).toEqual(['2@1', '2@2']);
    });
  });

  describe('all or nothing per commit', () => {
    it('when one targeted cluster fails to render, then no cluster moves, the failure is recorded for it and the commit is remembered', () => {
      const r = when(commitObserved(2), { view: latest(2), running: steady(), failing: { [sha(2)]: [C2] } });
      expect(r.assigned(C1)).toBeUndefined();
      expect(r.assigned(C2)).toBeUndefined();
      expect(recorded(r)).toEqual({ rendered: [], failed: ['2@2'] });
      expect(r.decisions[0]).toMatchObject({
        rejected: sha(2),
        application: { goodCommit: sha(1), failedCommit: sha(2) },
      });
    });

    it('when every cluster fails the same way, then one RenderFailed without a cluster says so', () => {
      const r = when(commitObserved(2), { view: latest(2), running: steady(), failing: { [sha(2)]: [C1, C2] } });
      expect(recorded(r).failed).toEqual(['2@*']);
    });

    it('given a cluster running nothing yet, when the commit fails elsewhere, then that cluster gets the last good commit', () => {
      const r = when(commitObserved(2), {
        view: latest(2),
        running: { [C1]: runningAt(sha(1), C1) },
        failing: { [sha(2)]: [C1] },
      });
      expect(r.renders).toEqual(['2@1', '2@2', '1@2']);
      expect(r.assigned(C1)).toBeUndefined();
      expect(r.assigned(C2)?.commit).toBe(sha(1));
    });

    it('given a commit known to fail, when the application is re-evaluated, then it is not rendered again', () => {
      const known = latest(2, { applications: [web({ failedCommit: sha(2) })] });
      const unpinned: PlannedEvent = { type: 'ApplicationUnpinned', data: { name: 'web' } };
      const r = when(unpinned, { view: known, running: { [C1]: runningAt(sha(1), C1) } });
      expect(r.renders).toEqual(['1@2']);
      expect(r.assigned(C2)?.commit).toBe(sha(1));
    });
  });

  describe('the application', () => {
    it('when created, then it renders at the newest commit for exactly the targeted clusters', () => {
      const created: PlannedEvent = { type: 'ApplicationCreated', data: { name: 'web', spec: specOf() } };
      const r = when(created, { view: latest(3, { applications: [web({ goodCommit: null })] }) });
      expect(r.renders).toEqual(['3@1', '3@2']);
      expect(r.assigned(C1)).toMatchObject({ name: 'web', commit: sha(3), policy: { automated: true } });
      expect(r.assigned(C3)).toBeUndefined();
    });

    it('when edited to target another group, then new targets get it and clusters no longer targeted drop it', () => {
      const spec = specOf({ targets: [{ selector: { matchLabels: { env: 'dev' } } }] });
      const edited = latest(1, { applications: [web({ spec })] });
      const r = when({ type: 'ApplicationChanged', data: { name: 'web', spec } }, { view: edited, running: steady() });
      expect(r.assigned(C1)).toBeNull();
      expect(r.assigned(C2)).toBeNull();
      expect(r.assigned(C3)?.commit).toBe(sha(1));
    });

    it('when pinned, then every targeted cluster moves to the pin; when unpinned, back to the newest commit', () => {
      const pinned = latest(3, { applications: [web({ goodCommit: sha(3), pinnedCommit: sha(1) })] });
      const running = { [C1]: runningAt(sha(3), C1), [C2]: runningAt(sha(3), C2) };
      const pin = when({ type: 'ApplicationPinned', data: { name: 'web', commit: sha(1) } }, { view: pinned, running });
      expect([pin.assigned(C1)?.commit, pin.assigned(C2)?.commit]).toEqual([sha(1), sha(1)]);
      const unpinned = latest(3, { applications: [web({ goodCommit: sha(1) })] });
      const unpin = when({ type: 'ApplicationUnpinned', data: { name: 'web' } }, { view: unpinned, running: steady() });
      expect([unpin.assigned(C1)?.commit, unpin.assigned(C2)?.commit]).toEqual([sha(3), sha(3)]);
    });

    it('when deleted, then every cluster running it drops it', () => {
      const r = when(
        { type: 'ApplicationDeleted', data: { name: 'web' } },
        { view: view({ applications: [] }), running: steady() },
      );
      expect(r.renders).toEqual([]);
      expect([r.assigned(C1), r.assigned(C2)]).toEqual([null, null]);
    });

    it('when re-rendered to the same bundle, then it is assigned again but no RevisionRendered is recorded', () => {
      const r = when({ type: 'ApplicationChanged', data: { name: 'web', spec: specOf() } }, { running: steady() });
      expect(r.assigned(C1)).toEqual(runningAt(sha(1), C1));
      expect(recorded(r).rendered).toEqual([]);
    });
  });

  describe('clusters and groups', () => {
    const relabel = (clusterId: string, env: string, clusters = view().clusters): PlannerView =>
      view({ clusters: clusters.map((c) => (c.clusterId === clusterId ? { ...c, labels: { env } } : c)) });

    it('when a cluster is relabelled into the group, then only it renders, at the accepted commit (not a newer failed one)', () => {
      const v = {
        ...relabel(C3, 'prod'),
        latestCommits: { repo: sha(2) },
        applications: [web({ failedCommit: sha(2) })],
      };
      const r = when(
        { type: 'ClusterLabelsChanged', data: { clusterId: C3, labels: { env: 'prod' }, previous: { env: 'dev' } } },
        { view: v, running: steady() },
      );
      expect(r.renders).toEqual(['1@3']);
      expect(r.assigned(C3)?.commit).toBe(sha(1));
    });

    it('when a cluster is relabelled out of the group, then it drops the application and the others stay', () => {
      const r = when(
        { type: 'ClusterLabelsChanged', data: { clusterId: C2, labels: { env: 'dev' }, previous: { env: 'prod' } } },
        { view: relabel(C2, 'dev'), running: steady() },
      );
      expect(r.renders).toEqual([]);
      expect(r.assigned(C2)).toBeNull();
      expect(r.assigned(C1)).toBeUndefined();
    });

    it('when a new cluster registers in a targeted group, then it gets the accepted commit; a cluster it does not target gets nothing', () => {
      const clusters = [...view().clusters, { clusterId: 'c0000000000000004', name: 'four', labels: { env: 'prod' } }];
      const registered = (clusterId: string): PlannedEvent => ({
        type: 'ClusterRegistered',
        data: {
          clusterId,
          name: 'four',
          labels: { env: 'prod' },
          publicKey: 'U',
          agentVersion: '1',
          kubernetesVersion: 'v1.20.2',
          tokenId: 't',
          registeredAt: '2026-12-04T10:00:00.000Z',
        },
      });
      const r = when(registered('c0000000000000004'), { view: view({ clusters }), running: steady() });
      expect(r.renders).toEqual(['1@4']);
      expect(r.assigned('c0000000000000004')?.commit).toBe(sha(1));
      expect(when(registered(C3), { running: steady() }).renders).toEqual([]);
    });

    it('given a deregistered cluster (gone from the view), when a commit lands, then it is neither rendered nor assigned', () => {
      const r = when(commitObserved(2), {
        view: latest(2, { clusters: view().clusters.filter((c) => c.clusterId !== C2) }),
        running: { [C1]: runningAt(sha(1), C1) },
      });
      expect(r.renders).toEqual(['2@1']);
      expect(r.changes.has(C2)).toBe(false);
    });

    it('when a group the application targets is deleted, then its clusters drop it; a group it does not name changes nothing', () => {
      const r = when(
        { type: 'ClusterGroupDeleted', data: { name: 'prod' } },
        { view: view({ groups: [] }), running: steady() },
      );
      expect([r.assigned(C1), r.assigned(C2)]).toEqual([null, null]);
      expect(when({ type: 'ClusterGroupDeleted', data: { name: 'eu' } }, { running: steady() }).changes.size).toBe(0);
    });
  });

  describe('apps sync', () => {
    const sync = (clusterId?: string): PlannedEvent => ({
      type: 'ApplicationSyncRequested',
      data: { name: 'web', ...(clusterId ? { clusterId } : {}) },
    });

    it('given an application in sync, when synced, then each targeted cluster gets the same bundle with the request id (the agent re-applies)', () => {
      const r = when(sync(), { running: steady() });
      expect(r.assigned(C1)).toEqual({ ...runningAt(sha(1), C1), syncRequest: 'sync-request-1' });
      expect(r.assigned(C2)).toEqual({ ...runningAt(sha(1), C2), syncRequest: 'sync-request-1' });
      expect(r.assigned(C3)).toBeUndefined();
    });

    it('when synced on one cluster, then only that cluster is touched', () => {
      const r = when(sync(C2), { running: steady() });
      expect(r.assigned(C1)).toBeUndefined();
      expect(r.assigned(C2)?.syncRequest).toBe('sync-request-1');
    });

    it('given the newest commit failed before, when synced, then it is rendered again; still failing, the clusters re-apply what they run', () => {
      const v = latest(2, { applications: [web({ failedCommit: sha(2) })] });
      const r = when(sync(), { view: v, running: steady(), failing: { [sha(2)]: [C1] } });
      expect(r.renders).toEqual(['2@1', '2@2']);
      expect(r.assigned(C1)).toEqual({ ...runningAt(sha(1), C1), syncRequest: 'sync-request-1' });
      expect(recorded(r).failed).toEqual(['2@1']);
    });

    it('given a synced assignment, when re-evaluated without change, then the request id stays; a new commit drops it', () => {
      const running = { [C1]: runningAt(sha(1), C1, { syncRequest: 'old' }), [C2]: runningAt(sha(1), C2) };
      const same = when({ type: 'ApplicationChanged', data: { name: 'web', spec: specOf() } }, { running });
      expect(same.assigned(C1)?.syncRequest).toBe('old');
      const moved = when(commitObserved(2), { view: latest(2), running });
      expect(moved.assigned(C1)).toEqual(runningAt(sha(2), C1));
    });
  });

  describe('manual sync policy (automated: false)', () => {
    const manualSpec = specOf({ syncPolicy: { automated: false } });
    const manual = (over: Partial<PlannedApplication> = {}) => web({ spec: manualSpec, ...over });

    it('given clusters on commit 1, when commit 2 lands, then it is rendered and recorded for every targeted cluster but nothing moves', () => {
      const r = when(commitObserved(2), { view: latest(2, { applications: [manual()] }), running: steady() });
      expect(r.renders).toEqual(['2@1', '2@2']);
      expect(r.changes.size).toBe(0);
      expect(recorded(r)).toEqual({ rendered: ['2@1', '2@2'], failed: [] });
      expect(r.decisions[0]!.application).toBeUndefined();
    });

    it('when the new commit fails to render, then the failure is recorded and nothing moves', () => {
      const v = latest(2, { applications: [manual()] });
      const r = when(commitObserved(2), { view: v, running: steady(), failing: { [sha(2)]: [C1] } });
      expect(r.changes.size).toBe(0);
      expect(recorded(r)).toEqual({ rendered: [], failed: ['2@1'] });
    });

    it('when created, then the newest commit is rendered but assigned nowhere', () => {
      const created: PlannedEvent = { type: 'ApplicationCreated', data: { name: 'web', spec: manualSpec } };
      const r = when(created, { view: latest(3, { applications: [manual({ goodCommit: null })] }) });
      expect(r.renders).toEqual(['3@1', '3@2']);
      expect(r.changes.size).toBe(0);
    });

    it('when apps sync is requested, then every targeted cluster moves to the newest commit, carrying the request id', () => {
      const sync: PlannedEvent = { type: 'ApplicationSyncRequested', data: { name: 'web' } };
      const r = when(sync, { view: latest(2, { applications: [manual()] }), running: steady() });
      expect(r.assigned(C1)).toMatchObject({
        commit: sha(2),
        syncRequest: 'sync-request-1',
        policy: { automated: false },
      });
      expect(r.assigned(C2)).toMatchObject({ commit: sha(2), syncRequest: 'sync-request-1' });
      expect(r.decisions[0]!.application).toEqual({ goodCommit: sha(2), failedCommit: null });
    });

    it('given a newer commit not synced, when a cluster joins, then it gets the commit last synced', () => {
      const v = { ...latest(2, { applications: [manual()] }) };
      v.clusters = v.clusters.map((c) => (c.clusterId === C3 ? { ...c, labels: { env: 'prod' } } : c));
      const relabel: PlannedEvent = {
        type: 'ClusterLabelsChanged',
        data: { clusterId: C3, labels: { env: 'prod' }, previous: { env: 'dev' } },
      };
      const r = when(relabel, { view: v, running: steady() });
      expect(r.renders).toEqual(['1@3']);
      expect(r.assigned(C3)?.commit).toBe(sha(1));
    });

    it('when edited, then the edit applies at the commit last synced and the newest commit is only previewed', () => {
      const changed: PlannedEvent = { type: 'ApplicationChanged', data: { name: 'web', spec: manualSpec } };
      const r = when(changed, { view: latest(2, { applications: [manual()] }), running: steady() });
      expect(r.renders).toEqual(['1@1', '1@2', '2@1', '2@2']);
      expect(r.assigned(C1)?.commit).toBe(sha(1));
    });

    it('when pinned, then it moves to the pin; when unpinned, it stays there until apps sync', () => {
      const pinned = latest(3, { applications: [manual({ pinnedCommit: sha(2) })] });
      const pin = when(
        { type: 'ApplicationPinned', data: { name: 'web', commit: sha(2) } },
        { view: pinned, running: steady() },
      );
      expect(pin.assigned(C1)?.commit).toBe(sha(2));
      const unpinned = latest(3, { applications: [manual({ goodCommit: sha(2) })] });
      const running = { [C1]: runningAt(sha(2), C1), [C2]: runningAt(sha(2), C2) };
      const unpin = when({ type: 'ApplicationUnpinned', data: { name: 'web' } }, { view: unpinned, running });
      expect(unpin.assigned(C1)?.commit ?? sha(2)).toBe(sha(2));
      expect(unpin.renders).not.toContain('3@1');
    });
  });
});
