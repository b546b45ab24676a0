import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RecordedEvent } from '@flotilla/event-store';
import { flotilla as flotillaProcess } from './cli-process';
import { eventually, readConfigMap, startGitopsFleet, type GitopsCluster, type GitopsFleet } from './gitops-harness';

// Issue 12 items 3 and 4, end to end: the hub, an agent process on the real kube-apiserver,
// git, and the real `flotilla` binary. A manual application (automated: false) does not
// move until `apps sync`; `apps sync` on an application in sync re-applies (a hand-deleted
// object comes back); the applied commit tracks the desired one even when a new commit
// renders the bundle already applied. The `it`s share one fleet and build on each other.
jest.setTimeout(240_000);

const settleMs = 90_000;

const namespaceYaml = `apiVersion: v1
kind: Namespace
metadata:
  name: web-sync
`;
const configYaml = (greeting: string, comment = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: web-sync
data:
  greeting: ${greeting}
${comment}`;
const applicationYaml = (automated: boolean) => `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: platform
  path: apps/web
  targets:
    - selector:
        matchLabels: { env: prod }
  syncPolicy:
    automated: ${automated}
    prune: true
`;

describe('sync policy and apps sync: git -> hub -> agent -> the real kube-apiserver', () => {
  let g: GitopsFleet;
  let eu: GitopsCluster;
  let home: string;
  let commitA: string;
  let commitB: string;
  const flotilla = (args: string[]) =>
    flotillaProcess(args, {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'xdg'),
      FLOTILLA_HUB_URL: g.fleet.hubUrl,
      FLOTILLA_TOKEN: g.fleet.adminToken,
    });

  const greeting = async () => (await readConfigMap(eu, 'web-sync', 'web-config'))?.data?.greeting;
  const webAssignments = (events: RecordedEvent[]) =>
    events.filter(
      (e) =>
        e.type === 'DesiredStateAssigned' &&
        e.streamId === `cluster-${eu.id}` &&
        (e.data as { applications: Array<{ name: string }> }).applications.some((a) => a.name === 'web'),
    );
  const webOf = (e: RecordedEvent) =>
    (e.data as { applications: Array<{ name: string; commit: string; syncRequest?: string }> }).applications.find(
      (a) => a.name === 'web',
    )!;
  async function waitForGreeting(expected: string | undefined, what: string): Promise<void> {
    await eventually(async () => ((await greeting()) === expected ? true : undefined), settleMs, what);
  }
  /** Pushes a commit by webhook and waits until the reactor has handled its CommitObserved. */
  async function observe(commit: string): Promise<void> {
    expect(await g.webhook()).toBe(202);
    const observed = await eventually(
      async () =>
        (await g.fleet.events({ types: ['CommitObserved'] })).find((e) => (e.data as { sha: string }).sha === commit),
      settleMs,
      `CommitObserved ${commit.slice(0, 8)}`,
    );
    await g.reactorPassed(observed.position);
  }

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'flotilla-sync-e2e-'));
    g = await startGitopsFleet([{ name: 'eu-real', labels: { env: 'prod' }, api: 'kube-apiserver' }]);
    eu = g.clusters['eu-real']!;
  }, 240_000);
  afterAll(async () => {
    await g?.close();
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('a manual application is rendered but applied nowhere until `apps sync`', async () => {
    commitA = await g.git.commit('web: A', {
      'apps/web/namespace.yaml': namespaceYaml,
      'apps/web/config.yaml': configYaml('A'),
    });
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
    await g.grantPolicy('web', { namespaces: ['web-sync'], clusterScopedKinds: ['Namespace'] }); // its own Namespace and objects in it (the target sets none)
    expect((await g.putApplication('web', applicationYaml(false))).status).toBe(201);
    await g.reactorPassed(await g.fleet.store.headPosition());

    let events = await g.allEvents();
    const rendered = events.filter((e) => e.type === 'RevisionRendered');
    expect(rendered.map((e) => (e.data as { commit: string }).commit)).toEqual([commitA]);
    expect(webAssignments(events)).toEqual([]);
    expect(await greeting()).toBeUndefined();

    const synced = await flotilla(['apps', 'sync', 'web']);
    expect(synced).toMatchObject({ code: 0, stderr: '' });
    expect(synced.stdout).toContain('sync of web requested on every targeted cluster');
    await waitForGreeting('A', 'the first commit applied after apps sync');
    const status = await flotilla(['apps', 'status', 'web', '--wait', '--timeout', '90s']);
    expect(status).toMatchObject({ code: 0 });
    events = await g.allEvents();
    expect(webAssignments(events).map((e) => webOf(e).commit)).toEqual([commitA]);
  });

  it('a new commit of the manual application is rendered and recorded but moves nothing; `apps sync` moves it', async () => {
    commitB = await g.git.commit('web: B', { 'apps/web/config.yaml': configYaml('B') });
    await observe(commitB);
    const events = await g.allEvents();
    expect(events.some((e) => e.type === 'RevisionRendered' && (e.data as { commit: string }).commit === commitB)).toBe(
      true,
    );
    expect(webAssignments(events).map((e) => webOf(e).commit)).toEqual([commitA]);
    expect(await greeting()).toBe('A');

    expect(await flotilla(['apps', 'sync', 'web'])).toMatchObject({ code: 0 });
    await waitForGreeting('B', 'commit B applied after apps sync');
    expect(await flotilla(['apps', 'status', 'web', '--wait', '--timeout', '90s'])).toMatchObject({ code: 0 });
  });

  it('`apps sync` on an application in sync re-applies: a hand-deleted object comes back, recorded from request to result', async () => {
    await eu.core.deleteNamespacedConfigMap({ name: 'web-config', namespace: 'web-sync' });
    await waitForGreeting(undefined, 'the ConfigMap deleted by hand');
    const before = await g.fleet.store.headPosition();

    expect(await flotilla(['apps', 'sync', 'web'])).toMatchObject({ code: 0 });
    await waitForGreeting('B', 'the hand-deleted ConfigMap re-applied by apps sync');

    // ApplicationSyncRequested -> DesiredStateAssigned carrying its id -> SyncSucceeded at that revision.
    const events = await eventually(
      async () => {
        const all = (await g.allEvents()).filter((e) => e.position > before);
        return all.some((e) => e.type === 'SyncSucceeded') ? all : undefined;
      },
      settleMs,
      'SyncSucceeded after the sync request',
    );
    const request = events.find((e) => e.type === 'ApplicationSyncRequested')!;
    expect(request.metadata.actor).toMatch(/^(user|token|admin)/);
    const [assigned] = webAssignments(events);
    expect(webOf(assigned!)).toMatchObject({ commit: commitB, syncRequest: request.id });
    expect(assigned!.metadata.causationId).toBe(request.id);
    const succeeded = events.find(
      (e) =>
        e.type === 'SyncSucceeded' &&
        (e.data as { revision: number }).revision === (assigned!.data as { revision: number }).revision,
    );
    expect(succeeded).toBeDefined();
    expect(request.position).toBeLessThan(assigned!.position);
    expect(assigned!.position).toBeLessThan(succeeded!.position);
  });

  it('the applied commit tracks the desired one when a new commit renders the bundle already applied', async () => {
    expect((await g.putApplication('web', applicationYaml(true))).status).toBe(200);
    // A comment only: the same objects, the same bundle digest, a new commit.
    const commitC = await g.git.commit('web: comment', { 'apps/web/config.yaml': configYaml('B', '# same objects\n') });
    await observe(commitC);
    const assigned = webAssignments(await g.allEvents()).at(-1)!;
    expect(webOf(assigned).commit).toBe(commitC);
    await eventually(
      async () =>
        (await g.allEvents()).some(
          (e) =>
            e.type === 'SyncSucceeded' &&
            e.streamId === `cluster-${eu.id}` &&
            (e.data as { commit: string }).commit === commitC,
        )
          ? true
          : undefined,
      settleMs,
      'SyncSucceeded at the comment-only commit',
    );
    expect(await flotilla(['apps', 'status', 'web', '--wait', '--timeout', '90s'])).toMatchObject({ code: 0 });
  });
});
