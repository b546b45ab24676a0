import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { DriftMode, parseStatusSubject, StatusReportSchema, type StatusReport } from '@flotilla/contracts';
import { startKubeEmulator, type KubeEmulator } from '@flotilla/kube-emulator';
import type { KubeObject } from '@flotilla/kube';
import type { OutboxMessage } from '../report';
import type { AssignedApplication, DesiredStateFeed, VerifiedDesiredState } from './desired-state-feed';
import { startReconcile, type RunningReconcile } from './start-reconcile';

// The loop against the Kubernetes API emulator (same client-node code path as a real
// cluster), with a fake desired-state feed and an outbox that records what it journals.
jest.setTimeout(60_000);

class FakeFeed implements DesiredStateFeed {
  private handler: ((state: VerifiedDesiredState) => Promise<void>) | undefined;
  readonly bundles = new Map<string, KubeObject[]>();
  failFetches = 0;

  onDesiredState(handler: (state: VerifiedDesiredState) => Promise<void>): void {
    this.handler = handler;
  }

  async fetchBundle(digest: string): Promise<{ digest: string; objects: KubeObject[] }> {
    if (this.failFetches > 0) {
      this.failFetches -= 1;
      throw new Error('the hub did not answer');
    }
    const objects = this.bundles.get(digest);
    if (!objects) throw new Error(`no bundle ${digest}`);
    return { digest, objects: structuredClone(objects) };
  }

  push(state: VerifiedDesiredState): Promise<void> {
    if (!this.handler) throw new Error('the loop did not subscribe to the feed');
    return this.handler(state);
  }
}

class RecordingOutbox {
  readonly messages: OutboxMessage[] = [];
  async enqueue(message: OutboxMessage): Promise<{ seq: number }> {
    this.messages.push(message);
    return { seq: this.messages.length };
  }
  reports(): Array<{ kind: string; report: StatusReport }> {
    return this.messages.map((m) => ({
      kind: parseStatusSubject(m.subject)!.kind,
      report: fromBinary(StatusReportSchema, m.payload),
    }));
  }
  kinds(application?: string): string[] {
    return this.reports()
      .filter((r) => !application || (r.report.report.value as { application?: string }).application === application)
      .map((r) => r.kind);
  }
}

let emulator: KubeEmulator;
let kc: KubeConfig;
let core: CoreV1Api;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  emulator = await startKubeEmulator({ clusters: ['agent'], controllerDelayMs: 10 });
  kc = new KubeConfig();
  kc.loadFromString(emulator.cluster('agent').kubeconfigYaml());
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await emulator?.stop();
});

const dns = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

function configMap(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

function app(name: string, digest: string, policy: Partial<AssignedApplication['policy']> = {}): AssignedApplication {
  return {
    name,
    source: 'platform',
    commit: `c0ffee${digest.slice(-4)}`,
    bundleDigest: digest,
    policy: { automated: true, prune: true, driftMode: 'detect', ignoredFields: {}, ...policy },
    // Each test's objects go to a namespace of its own: the policy grants any.
    objectPolicy: { namespaces: ['*'], clusterScopedKinds: [], namespacedKinds: ['*'] },
  };
}

interface Setup {
  feed: FakeFeed;
  outbox: RecordingOutbox;
  running: RunningReconcile;
  stateDir: string;
  ns: string;
  inventoryNamespace: string;
  clusterId: string;
}

/** A loop on a fresh namespace, inventory namespace and state directory, or on those of `previous` (a restart). */
async function setup(previous?: Setup): Promise<Setup> {
  const ns = previous?.ns ?? dns('apps');
  const inventoryNamespace = previous?.inventoryNamespace ?? dns('flotilla-system');
  if (!previous) {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespace({ body: { metadata: { name: inventoryNamespace } } });
  }
  const stateDir = previous?.stateDir ?? mkdtempSync(path.join(tmpdir(), 'flotilla-reconcile-'));
  if (!previous) cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const feed = new FakeFeed();
  const outbox = new RecordingOutbox();
  const clusterId = previous?.clusterId ?? dns('cluster');
  const running = await startReconcile({
    clusterId,
    feed,
    kubeConfig: kc,
    scope: { namespaces: ['*'], kinds: ['*'] },
    inventoryNamespace,
    stateDir,
    outbox,
    log: () => undefined,
    kubeDurations: { driftDebounceMs: 50, watchRestartMinMs: 100 },
    retryInitialMs: 50,
    retryMaxMs: 200,
  });
  cleanups.push(() => running.stop());
  return { feed, outbox, running, stateDir, ns, inventoryNamespace, clusterId };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function readConfigMap(ns: string, name: string) {
  try {
    return await core.readNamespacedConfigMap({ name, namespace: ns });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

describe('the reconcile loop', () => {
  it('given an assignment, when it arrives, then the objects exist and SyncStarted, SyncSucceeded and HealthChanged are journaled with the assignment', async () => {
    const { feed, outbox, running, ns, clusterId } = await setup();
    feed.bundles.set('sha256:aaa1', [configMap(ns, 'settings', { mode: 'fast' })]);

    await feed.push({ clusterId, revision: 1, applications: [app('web', 'sha256:aaa1')] });
    await running.reporter.settled();

    expect((await readConfigMap(ns, 'settings'))?.data).toEqual({ mode: 'fast' });
    expect(outbox.kinds()).toEqual(['sync-started', 'health-changed', 'health-changed', 'sync-succeeded']);
    const reports = outbox.reports().map((r) => r.report);
    for (const m of outbox.messages) {
      expect(m.subject.startsWith(`flotilla.v1.agent.${clusterId}.status.`)).toBe(true);
    }
    expect(new Set(reports.map((r) => r.meta!.id)).size).toBe(reports.length);
    expect(reports.every((r, i) => r.meta!.id === outbox.messages[i]!.msgId && r.meta!.clusterId === clusterId)).toBe(
      true,
    );
    const started = reports[0]!.report;
    expect(started.case).toBe('syncStarted');
    if (started.case === 'syncStarted') {
      expect(started.value.application).toBe('web');
      expect(started.value.assignment).toMatchObject({
        revision: 1n,
        commit: 'c0ffeeaaa1',
        bundleDigest: 'sha256:aaa1',
      });
    }
    const succeeded = reports[3]!.report;
    expect(succeeded.case).toBe('syncSucceeded');
    if (succeeded.case === 'syncSucceeded') {
      expect(succeeded.value.resources.map((r) => [r.ref!.kind, r.ref!.name])).toEqual([['ConfigMap', 'settings']]);
    }
    const appHealth = reports[2]!.report;
    expect(appHealth.case === 'healthChanged' && appHealth.value.resource === undefined).toBe(true);

    // The same state again (a resync) changes nothing and reports nothing.
    await feed.push({ clusterId, revision: 1, applications: [app('web', 'sha256:aaa1')] });
    await running.reporter.settled();
    expect(outbox.messages).toHaveLength(4);
  });

  it('given an application unassigned whose policy said prune, then its objects are deleted and ApplicationRemoved(pruned) is reported instead of a sync', async () => {
    const { feed, outbox, running, ns, clusterId } = await setup();
    feed.bundles.set('sha256:bbb1', [configMap(ns, 'doomed', { a: '1' })]);
    feed.bundles.set('sha256:bbb2', [configMap(ns, 'kept', { b: '2' })]);
    await feed.push({
      clusterId,
      revision: 1,
      applications: [app('doomed', 'sha256:bbb1'), app('kept', 'sha256:bbb2', { prune: false })],
    });
    expect(await readConfigMap(ns, 'doomed')).toBeDefined();
    const before = outbox.messages.length;

    await feed.push({ clusterId, revision: 2, applications: [] });
    await running.reporter.settled();

    expect(await readConfigMap(ns, 'doomed')).toBeUndefined();
    // Without prune the objects stay, no longer owned.
    expect((await readConfigMap(ns, 'kept'))?.data).toEqual({ b: '2' });
    const removals = outbox
      .reports()
      .slice(before)
      .map((r) => r.report.report);
    expect(removals.map((r) => r.case).sort()).toEqual(['applicationRemoved', 'applicationRemoved']);
    const pruned = Object.fromEntries(
      removals.map((r) => (r.case === 'applicationRemoved' ? [r.value.application, r.value.pruned] : ['?', false])),
    );
    expect(pruned).toEqual({ doomed: true, kept: false });
  });

  it('given an application removed while the agent was down, when a new loop starts on the same state directory, then it still prunes it', async () => {
    const first = await setup();
    first.feed.bundles.set('sha256:ccc1', [configMap(first.ns, 'left-over', { x: '1' })]);
    await first.feed.push({ clusterId: first.clusterId, revision: 1, applications: [app('gone', 'sha256:ccc1')] });
    await first.running.stop();

    // Same cluster, inventory namespace and state directory; a new process knows nothing else.
    const { feed, outbox, running, ns, clusterId } = await setup(first);
    await feed.push({ clusterId, revision: 2, applications: [] });
    await running.reporter.settled();

    expect(await readConfigMap(ns, 'left-over')).toBeUndefined();
    expect(outbox.kinds()).toEqual(['application-removed']);
  });

  it('given drift in correct mode, then DriftDetected(mode correct) and DriftCorrected are reported and the object is restored', async () => {
    const { feed, outbox, running, ns, clusterId } = await setup();
    feed.bundles.set('sha256:ddd1', [configMap(ns, 'guarded', { level: 'safe' })]);
    await feed.push({
      clusterId,
      revision: 1,
      applications: [app('guard', 'sha256:ddd1', { driftMode: 'correct' })],
    });
    const live = (await readConfigMap(ns, 'guarded'))!;
    await core.replaceNamespacedConfigMap({
      name: 'guarded',
      namespace: ns,
      body: { ...live, data: { level: 'tampered' } },
    });

    await eventually('the drift to be corrected', () => outbox.kinds('guard').includes('drift-corrected'));
    await running.reporter.settled();
    const detected = outbox.reports().find((r) => r.kind === 'drift-detected')!.report.report;
    expect(detected.case).toBe('driftDetected');
    if (detected.case === 'driftDetected') {
      expect(detected.value.mode).toBe(DriftMode.CORRECT);
      expect(detected.value.resource).toMatchObject({ kind: 'ConfigMap', name: 'guarded', namespace: ns });
      const field = detected.value.fields.find((f) => f.path === '/data/level')!;
      expect(JSON.parse(field.desiredJson!)).toBe('safe');
      expect(JSON.parse(field.liveJson!)).toBe('tampered');
    }
    await eventually(
      'the object to be restored',
      async () => (await readConfigMap(ns, 'guarded'))?.data?.level === 'safe',
    );
  });

  it('given a bundle that cannot be fetched, then SyncFailed is reported and the sync is retried until it succeeds', async () => {
    const { feed, outbox, running, ns, clusterId } = await setup();
    feed.bundles.set('sha256:eee1', [configMap(ns, 'late', { v: '1' })]);
    feed.failFetches = 2;
    await feed.push({ clusterId, revision: 1, applications: [app('late', 'sha256:eee1')] });

    await eventually('the retried sync to succeed', () => outbox.kinds('late').includes('sync-succeeded'));
    await running.reporter.settled();
    const kinds = outbox.kinds('late');
    expect(kinds.filter((k) => k === 'sync-failed')).toHaveLength(2);
    const failed = outbox.reports().find((r) => r.kind === 'sync-failed')!.report.report;
    if (failed.case === 'syncFailed') {
      expect(failed.value.message).toMatch(/cannot fetch the bundle: the hub did not answer/);
      expect(failed.value.assignment).toMatchObject({ revision: 1n, bundleDigest: 'sha256:eee1' });
    }
    expect((await readConfigMap(ns, 'late'))?.data).toEqual({ v: '1' });
  });

  it('refuses a desired state for another cluster and ignores an older revision', async () => {
    const { feed, outbox, running, ns, clusterId } = await setup();
    feed.bundles.set('sha256:fff1', [configMap(ns, 'one', { v: '1' })]);
    feed.bundles.set('sha256:fff2', [configMap(ns, 'two', { v: '2' })]);
    await feed.push({ clusterId: 'someone-else', revision: 9, applications: [app('one', 'sha256:fff1')] });
    await feed.push({ clusterId, revision: 5, applications: [app('two', 'sha256:fff2')] });
    await feed.push({ clusterId, revision: 4, applications: [] });
    await running.reporter.settled();
    expect(await readConfigMap(ns, 'one')).toBeUndefined();
    expect(await readConfigMap(ns, 'two')).toBeDefined();
    expect(outbox.kinds()).not.toContain('application-removed');
  });
});
