import type { RecordedEvent } from '@flotilla/event-store';
import { replayClusterState, stateChangeOf } from './cluster-state';

let position = 0;
const event = (type: string, recordedAt: string, data: object): RecordedEvent => ({
  position: ++position,
  streamId: 'cluster-c1',
  version: position,
  id: `id-${position}`,
  type,
  schemaVersion: 1,
  data: { clusterId: 'c1', ...data },
  metadata: { actor: 'agent:c1' },
  recordedAt: new Date(recordedAt),
  hash: 'h',
  prevHash: 'p',
});
const app = (name: string, commit: string) => ({
  name,
  source: 'platform',
  commit,
  bundleDigest: `sha256:${commit}`,
  policy: { automated: true, prune: true, driftMode: 'detect', ignoredFields: {} },
});

describe('replayClusterState', () => {
  const log = [
    event('DesiredStateAssigned', '2026-11-20T10:00:00Z', { revision: 1, applications: [app('web', 'a1')] }),
    event('SyncSucceeded', '2026-11-20T10:01:00Z', {
      application: 'web',
      revision: 1,
      commit: 'a1',
      bundleDigest: 'sha256:a1',
      at: '2026-11-20T10:00:59Z',
    }),
    event('DesiredStateAssigned', '2026-11-20T11:00:00Z', {
      revision: 2,
      applications: [app('web', 'b2'), app('api', 'c3')],
    }),
    event('SyncFailed', '2026-11-20T11:01:00Z', {
      application: 'web',
      revision: 2,
      commit: 'b2',
      bundleDigest: 'sha256:b2',
      at: '2026-11-20T11:01:00Z',
    }),
    event('SyncSucceeded', '2026-11-20T11:02:00Z', {
      application: 'api',
      revision: 2,
      commit: 'c3',
      bundleDigest: 'sha256:c3',
      at: '2026-11-20T11:02:00Z',
    }),
    event('DesiredStateAssigned', '2026-11-20T12:00:00Z', { revision: 3, applications: [app('api', 'c3')] }),
    event('ApplicationRemoved', '2026-11-20T12:01:00Z', {
      application: 'web',
      pruned: true,
      at: '2026-11-20T12:01:00Z',
    }),
  ];

  it('given nothing recorded yet, answers nothing assigned and nothing applied', () => {
    expect(replayClusterState('c1', log, new Date('2026-11-20T09:00:00Z'))).toEqual({
      clusterId: 'c1',
      at: '2026-11-20T09:00:00.000Z',
      desired: null,
      applied: [],
    });
  });

  it('keeps the last successful sync when a later one fails', () => {
    const state = replayClusterState('c1', log, new Date('2026-11-20T11:30:00Z'));
    expect(state.desired?.revision).toBe(2);
    expect(state.applied.map((a) => [a.application, a.commit])).toEqual([
      ['api', 'c3'],
      ['web', 'a1'],
    ]);
  });

  it('drops an application once its removal is recorded, not before', () => {
    const before = replayClusterState('c1', log, new Date('2026-11-20T12:00:30Z'));
    expect(before.desired?.applications.map((a) => a.name)).toEqual(['api']);
    expect(before.applied.map((a) => a.application)).toEqual(['api', 'web']);
    const after = replayClusterState('c1', log, new Date('2026-11-20T12:01:00Z'));
    expect(after.applied.map((a) => a.application)).toEqual(['api']);
  });

  it("ignores other clusters' events and malformed ones", () => {
    expect(stateChangeOf(event('SyncSucceeded', '2026-11-20T10:00:00Z', { application: 42 }))).toBeUndefined();
    const foreign = {
      ...event('DesiredStateAssigned', '2026-11-20T10:00:00Z', { revision: 9, applications: [] }),
      data: { clusterId: 'c2', revision: 9, applications: [] },
    };
    expect(replayClusterState('c1', [foreign], new Date('2026-11-21T00:00:00Z')).desired).toBeNull();
  });
});
