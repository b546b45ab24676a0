import {
  effectiveHealth,
  renderState,
  resourceKey,
  summarize,
  syncAfterAssignment,
  syncAfterSuccess,
  type ClusterApplicationStatus,
  type RenderOutcome,
} from './application-status.rules';

const row = (over: Partial<ClusterApplicationStatus>): ClusterApplicationStatus => ({
  clusterId: 'c',
  clusterName: 'c',
  state: 'connected',
  desiredRevision: 1,
  desiredCommit: 'a',
  desiredBundle: 'sha256:1',
  appliedCommit: 'a',
  appliedBundle: 'sha256:1',
  sync: 'synced',
  health: 'healthy',
  drifted: false,
  driftedResources: 0,
  lastSyncAt: null,
  message: null,
  healthMessage: null,
  ...over,
});

describe('application status rules', () => {
  it('given an offline or never-seen cluster whose agent last said healthy, then its health is unknown', () => {
    expect(effectiveHealth('disconnected', 'healthy')).toBe('unknown');
    expect(effectiveHealth('pending', 'healthy')).toBe('unknown');
    expect(effectiveHealth('connected', 'healthy')).toBe('healthy');
    expect(effectiveHealth('connected', 'degraded')).toBe('degraded');
    expect(effectiveHealth('connected', null)).toBe('unknown');
  });

  it('given a success for an older bundle than the one now desired, then the cluster is still pending', () => {
    expect(syncAfterSuccess('sha256:1', 'sha256:1')).toBe('synced');
    expect(syncAfterSuccess('sha256:1', 'sha256:2')).toBe('pending');
  });

  it('given a new assignment, then only a bundle already applied stays synced; a sync in flight stays syncing', () => {
    expect(syncAfterAssignment('synced', 'sha256:1', 'sha256:1')).toBe('synced');
    expect(syncAfterAssignment('synced', 'sha256:1', 'sha256:2')).toBe('pending');
    expect(syncAfterAssignment('failed', 'sha256:1', 'sha256:2')).toBe('pending');
    expect(syncAfterAssignment('failed', null, 'sha256:2')).toBe('pending');
    expect(syncAfterAssignment('syncing', null, 'sha256:2')).toBe('syncing');
  });

  it('counts every cluster in the summary', () => {
    const summary = summarize([
      row({}),
      row({ clusterId: 'b', state: 'disconnected', health: 'unknown', drifted: true, driftedResources: 2 }),
      row({ clusterId: 'd', sync: 'failed', health: 'degraded' }),
    ]);
    expect(summary).toEqual({ clusters: 3, synced: 2, healthy: 1, drifted: 1, offline: 1, failed: 1 });
  });

  it('keys a resource by group, not version', () => {
    expect(resourceKey({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'api' })).toBe(
      resourceKey({ apiVersion: 'apps/v1beta1', kind: 'Deployment', namespace: 'web', name: 'api' }),
    );
    expect(resourceKey({ apiVersion: 'v1', kind: 'Namespace', name: 'web' })).toBe('Namespace||web');
  });
});

describe('render state', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const ok = (commit: string, clusterId = 'c1'): RenderOutcome => ({ type: 'RevisionRendered', commit, clusterId, at });
  const failed = (commit: string, clusterId: string | null = null): RenderOutcome => ({
    type: 'RenderFailed',
    commit,
    clusterId,
    errors: [{ file: 'apps/web/bad.yaml', documentIndex: 0, code: 'InvalidYaml', reason: 'bad' }],
    at,
  });

  it('given nothing rendered or tried, then none', () => {
    expect(renderState([])).toEqual({ commit: null, state: 'none', failure: null });
  });
  it('given the newest commit failed after an older one rendered, then failed at the newest', () => {
    expect(renderState([failed('b'), ok('a')])).toMatchObject({ state: 'failed', commit: 'b' });
  });
  it('given a later render of another commit (a fix, a pin), then the failure is over', () => {
    expect(renderState([ok('c'), failed('b'), ok('a')])).toMatchObject({ state: 'rendered', commit: 'c' });
  });
  it('given one cluster failed a commit that others rendered, then it still failed', () => {
    expect(renderState([ok('b', 'c2'), failed('b', 'c1')])).toMatchObject({ state: 'failed', commit: 'b' });
  });
  it('given the failed cluster rendered the same commit later, then the failure is over', () => {
    expect(renderState([ok('b', 'c1'), failed('b', 'c1')])).toMatchObject({ state: 'rendered', commit: 'b' });
  });
});
