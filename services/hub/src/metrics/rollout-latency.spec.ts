import type { RecordedEvent } from '@flotilla/event-store';
import type { DataSource } from 'typeorm';
import { HubMetrics } from './hub-metrics';
import { RolloutLatency } from './rollout-latency';

const t0 = Date.parse('2026-12-04T10:00:00Z');
let position = 0;
const event = (type: string, data: object, atMs: number): RecordedEvent =>
  ({ type, data, recordedAt: new Date(t0 + atMs), position: ++position }) as unknown as RecordedEvent;
const app = (commit: string) => ({ name: 'web', source: 'platform', commit, bundleDigest: 'sha256:x', policy: {} });

async function histogram(metrics: HubMetrics, name: string): Promise<{ count: number; sum: number }> {
  const values = (await metrics.registry.getSingleMetric(name)!.get()).values;
  const of = (suffix: string) =>
    (values as Array<{ metricName?: string; value: number }>).find((v) => v.metricName === `${name}${suffix}`)?.value ??
    0;
  return { count: of('_count'), sum: of('_sum') };
}

describe('RolloutLatency: rollout latencies read off the log', () => {
  let metrics: HubMetrics;
  let latency: RolloutLatency;
  beforeEach(() => {
    metrics = new HubMetrics({ query: async () => [] } as unknown as DataSource);
    latency = new RolloutLatency({} as never, metrics);
  });

  it('measures commit -> assigned and commit -> applied once per (cluster, application)', async () => {
    latency.apply(event('CommitObserved', { source: 'platform', sha: 'c1' }, 0));
    latency.apply(event('DesiredStateAssigned', { clusterId: 'a', revision: 1, applications: [app('c1')] }, 400));
    latency.apply(event('DesiredStateAssigned', { clusterId: 'b', revision: 1, applications: [app('c1')] }, 600));
    // A re-assignment of the same commit (another application changed) is not a second rollout.
    latency.apply(event('DesiredStateAssigned', { clusterId: 'a', revision: 2, applications: [app('c1')] }, 900));
    latency.apply(event('SyncSucceeded', { clusterId: 'a', application: 'web', commit: 'c1' }, 2_000));
    latency.apply(event('SyncSucceeded', { clusterId: 'a', application: 'web', commit: 'c1' }, 5_000));
    latency.apply(event('SyncSucceeded', { clusterId: 'b', application: 'web', commit: 'c1' }, 3_000));

    expect(await histogram(metrics, 'flotilla_hub_commit_to_assigned_seconds')).toEqual({ count: 2, sum: 1.0 });
    expect(await histogram(metrics, 'flotilla_hub_commit_to_applied_seconds')).toEqual({ count: 2, sum: 5.0 });
  });

  it('does not measure a commit it never saw observed, nor a sync of an older commit', async () => {
    latency.apply(event('DesiredStateAssigned', { clusterId: 'a', revision: 1, applications: [app('old')] }, 0));
    latency.apply(event('SyncSucceeded', { clusterId: 'a', application: 'web', commit: 'old' }, 100));
    latency.apply(event('CommitObserved', { source: 'platform', sha: 'c2' }, 1_000));
    latency.apply(event('DesiredStateAssigned', { clusterId: 'a', revision: 2, applications: [app('c2')] }, 1_500));
    latency.apply(event('SyncSucceeded', { clusterId: 'a', application: 'web', commit: 'old' }, 1_700));

    expect(await histogram(metrics, 'flotilla_hub_commit_to_assigned_seconds')).toEqual({ count: 1, sum: 0.5 });
    expect(await histogram(metrics, 'flotilla_hub_commit_to_applied_seconds')).toEqual({ count: 0, sum: 0 });
  });
});
