import { LivenessTracker } from './liveness-tracker';

describe('LivenessTracker', () => {
  const t0 = 1_000_000;
  const make = () => new LivenessTracker({ heartbeatIntervalMs: 500, missedHeartbeats: 3 });

  it('given a registered cluster, when its first heartbeat arrives, then it is due to connect', () => {
    const tracker = make();
    tracker.applyLogEvent({ type: 'ClusterRegistered', clusterId: 'c1' }, t0);
    expect(tracker.heartbeat('c1', t0 + 10)).toBe(true);
  });

  it('given a connected cluster, when heartbeats keep coming, then nothing is due', () => {
    const tracker = make();
    tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c1' }, t0);
    expect(tracker.heartbeat('c1', t0)).toBe(false);
    expect(tracker.heartbeat('c1', t0 + 500)).toBe(false);
    expect(tracker.silent(t0 + 1500)).toEqual([]);
  });

  it('given a connected cluster, when it is silent for more than N intervals, then it is due to disconnect', () => {
    const tracker = make();
    tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c1' }, t0);
    tracker.heartbeat('c1', t0 + 100);
    expect(tracker.silent(t0 + 100 + 1500)).toEqual([]);
    expect(tracker.silent(t0 + 100 + 1501)).toEqual([{ clusterId: 'c1', lastSeen: t0 + 100 }]);
  });

  it('given the log says connected but this hub never heard it, then the window counts from when the hub started watching', () => {
    const tracker = make();
    tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c1' }, t0);
    expect(tracker.silent(t0 + 1000)).toEqual([]);
    expect(tracker.silent(t0 + 1501)).toEqual([{ clusterId: 'c1' }]);
  });

  it('given a disconnected cluster, when a heartbeat arrives, then it is due to connect again', () => {
    const tracker = make();
    tracker.applyLogEvent({ type: 'ClusterDisconnected', clusterId: 'c1' }, t0);
    expect(tracker.silent(t0 + 10_000)).toEqual([]);
    expect(tracker.heartbeat('c1', t0 + 10_000)).toBe(true);
  });

  it('given a deregistered cluster, then neither heartbeats nor silence make a transition due', () => {
    const tracker = make();
    tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c1' }, t0);
    tracker.applyLogEvent({ type: 'ClusterDeregistered', clusterId: 'c1' }, t0);
    tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c1' }, t0);
    expect(tracker.heartbeat('c1', t0)).toBe(false);
    expect(tracker.silent(t0 + 10_000)).toEqual([]);
  });

  it('given a cluster id the log does not know, then heartbeats are ignored until it is registered', () => {
    const tracker = make();
    tracker.setConnection('c9', 'absent', t0);
    expect(tracker.heartbeat('c9', t0)).toBe(false);
    tracker.applyLogEvent({ type: 'ClusterRegistered', clusterId: 'c9' }, t0);
    expect(tracker.heartbeat('c9', t0 + 1)).toBe(true);
  });

  it('given another replica recorded the transition, then this one does not see it as due', () => {
    const tracker = make();
    tracker.heartbeat('c1', t0);
    tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c1' }, t0 + 1);
    expect(tracker.heartbeat('c1', t0 + 2)).toBe(false);
  });
});
