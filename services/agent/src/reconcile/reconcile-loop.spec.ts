import { InvalidApplicationNameError, type KubeObject, type ResourceResult, type SyncResult } from '@flotilla/kube';
import { DesiredStateRefusedError } from '../inbound/desired-state';
import type { AssignedApplication, DesiredStateFeed, VerifiedDesiredState } from './desired-state-feed';
import { ReconcileLoop, type ReconcilerPort } from './reconcile-loop';
import { ApplicationRefusedError, ResourcesFailedError, SyncInterruptedError, syncFailureOf } from './reconcile.errors';
import type { ReconcileStateStore } from './reconcile-state.store';
import type { AgentStatusEvent } from './status-report.mapper';

// Retry or not is decided by AgentError.retryable alone: these drive the loop with a fake feed
// and reconciler and read its decision from what it does next (a retry calls again).

const digest = `sha256:${'a'.repeat(64)}`;

const app: AssignedApplication = {
  name: 'web',
  source: 'src',
  commit: 'c1',
  bundleDigest: digest,
  policy: { automated: true, prune: true, driftMode: 'detect', ignoredFields: {} },
};

const state: VerifiedDesiredState = { clusterId: 'c-1', revision: 1, applications: [app] };

const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'web' };

function result(ok: boolean, results: ResourceResult[]): SyncResult {
  return {
    application: 'web',
    bundle: digest,
    ok,
    results,
    health: { status: 'healthy', message: '' },
    resources: [],
    events: [],
  };
}

interface Harness {
  loop: ReconcileLoop;
  fetches: () => number;
  syncs: () => number;
  reports: AgentStatusEvent[];
  logs: string[];
}

function harness(options: {
  fetch?: (n: number) => Promise<{ digest: string; objects: KubeObject[] }>;
  sync?: (n: number) => Promise<SyncResult>;
}): Harness {
  let fetches = 0;
  let syncs = 0;
  const feed: DesiredStateFeed = {
    onDesiredState: () => undefined,
    fetchBundle: (d) => (options.fetch ?? (async () => ({ digest: d, objects: [] })))(++fetches),
  };
  const reconciler: ReconcilerPort = {
    sync: () => (options.sync ?? (async () => result(true, [])))(++syncs),
    remove: async () => result(true, []),
    startDriftWatch: () => undefined,
    stopDriftWatch: () => undefined,
  };
  const reports: AgentStatusEvent[] = [];
  const logs: string[] = [];
  const store = { load: async () => new Map(), save: async () => undefined } as unknown as ReconcileStateStore;
  const loop = new ReconcileLoop({
    clusterId: 'c-1',
    feed,
    reconciler: () => reconciler,
    report: (event) => reports.push(event),
    state: store,
    log: (line) => logs.push(line),
    random: () => 0,
    retryInitialMs: 1,
    retryMaxMs: 1,
  });
  return { loop, fetches: () => fetches, syncs: () => syncs, reports, logs };
}

/**
 * Runs one desired state through the loop until `done` (by default: the loop logged that it
 * gives up until the assignment changes); a retry is due 1 ms after a failure. Bounded by a deadline.
 */
async function run(h: Harness, done = () => h.logs.some((l) => l.includes('not retried'))): Promise<void> {
  await h.loop.start();
  await h.loop.onDesiredState(state);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !done()) await new Promise((resolve) => setTimeout(resolve, 5));
  await h.loop.idle();
  await h.loop.stop();
}

describe('the reconcile loop retries by AgentError.retryable', () => {
  it('does not retry a bundle the feed refused (terminal), and does not wrap the refusal', async () => {
    const h = harness({
      fetch: async () => {
        throw new DesiredStateRefusedError('bundle-digest-mismatch', 'bundle refused: tampered');
      },
    });
    await run(h);
    expect(h.fetches()).toBe(1);
    expect(h.logs.some((l) => l.includes('retrying'))).toBe(false);
    expect(h.reports).toEqual([
      expect.objectContaining({ type: 'SyncFailed', message: 'cannot fetch the bundle: bundle refused: tampered' }),
    ]);
  });

  it('retries a bundle fetch that failed for want of an answer', async () => {
    const h = harness({
      fetch: async (n) => {
        if (n === 1) throw new Error('the hub did not answer');
        return { digest, objects: [] };
      },
    });
    await run(h, () => h.syncs() === 1);
    expect(h.fetches()).toBe(2);
    expect(h.syncs()).toBe(1);
  });

  it('refuses a bundle whose digest is not the one asked for, without retrying', async () => {
    const h = harness({ fetch: async () => ({ digest: `sha256:${'b'.repeat(64)}`, objects: [] }) });
    await run(h);
    expect(h.fetches()).toBe(1);
    expect(h.syncs()).toBe(0);
    expect(h.logs.some((l) => l.includes('retrying'))).toBe(false);
  });

  it('does not retry an application the reconciler refuses; retries one it could not finish', async () => {
    const refused = harness({
      sync: async () => {
        throw new InvalidApplicationNameError('not a label value');
      },
    });
    await run(refused);
    expect(refused.syncs()).toBe(1);
    expect(refused.logs.some((l) => l.includes('retrying'))).toBe(false);

    const interrupted = harness({
      sync: async (n) => {
        if (n === 1) throw new Error('connect ECONNREFUSED');
        return result(true, []);
      },
    });
    await run(interrupted, () => interrupted.syncs() === 2);
    expect(interrupted.syncs()).toBe(2);
  });

  it('retries failed resources unless every failure is permanent', async () => {
    const permanent = harness({
      sync: async () => result(false, [{ ref, action: 'failed', reason: 'NotAllowed', message: 'outside scope' }]),
    });
    await run(permanent);
    expect(permanent.syncs()).toBe(1);
    expect(permanent.logs.some((l) => l.includes('retrying'))).toBe(false);

    const transient = harness({
      sync: async (n) =>
        n === 1
          ? result(false, [
              { ref, action: 'failed', reason: 'NotAllowed', message: 'outside scope' },
              { ref: { ...ref, name: 'other' }, action: 'failed', reason: 'InternalError', message: 'etcd' },
            ])
          : result(true, []),
    });
    await run(transient, () => transient.syncs() === 2);
    expect(transient.syncs()).toBe(2);
  });
});

describe('syncFailureOf', () => {
  it('keeps an AgentError as it is and classifies libs/kube errors', () => {
    const refusal = new DesiredStateRefusedError('bundle-refused', 'no');
    expect(syncFailureOf(refusal)).toBe(refusal);
    expect(syncFailureOf(new InvalidApplicationNameError('bad'))).toBeInstanceOf(ApplicationRefusedError);
    expect(syncFailureOf(new InvalidApplicationNameError('bad')).retryable).toBe(false);
    expect(syncFailureOf(new Error('timeout'))).toBeInstanceOf(SyncInterruptedError);
    expect(syncFailureOf(new Error('timeout')).retryable).toBe(true);
  });

  it('ResourcesFailedError is retryable unless every failure has a permanent reason', () => {
    expect(new ResourcesFailedError([{ ref, action: 'failed', reason: 'Invalid' }]).retryable).toBe(false);
    expect(new ResourcesFailedError([{ ref, action: 'failed' }]).retryable).toBe(true);
    expect(new ResourcesFailedError([{ ref, action: 'failed', reason: 'Conflict' }]).retryable).toBe(true);
  });
});
