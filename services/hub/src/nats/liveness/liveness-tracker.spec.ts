import { LivenessTracker, livenessEventId, type LogTransition } from './liveness-tracker';

describe('LivenessTracker', () => {
  const t0 = 1_000_000;
  const make = () => new LivenessTracker({ heartbeatIntervalMs: 500, missedHeartbeats: 3 });
  let position = 0;
  const log = (type: LogTransition['type'], clusterId = 'c1'): LogTransition => ({
    type,
    clusterId,
    position: ++position,
  });

  it('given a registered cluster, when its first heartbeat arrives, then it is due to connect', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterRegistered'), t0);
    expect(tracker.heartbeat('c1', t0 + 10)).toBe(true);
    expect(tracker.isDue('c1', 'connected')).toBe(true);
    expect(tracker.nextTransition('c1')).toBe(1);
  });

  it('given a connected cluster, when heartbeats keep coming, then nothing is due', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterConnected'), t0);
    expect(tracker.heartbeat('c1', t0)).toBe(false);
    expect(tracker.heartbeat('c1', t0 + 500)).toBe(false);
    expect(tracker.silent(t0 + 1500)).toEqual([]);
  });

  it('given a connected cluster, when it is silent for more than N intervals, then it is due to disconnect', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterConnected'), t0);
    tracker.heartbeat('c1', t0 + 100);
    expect(tracker.silent(t0 + 100 + 1500)).toEqual([]);
    expect(tracker.silent(t0 + 100 + 1501)).toEqual([{ clusterId: 'c1', lastSeen: t0 + 100 }]);
    expect(tracker.isDue('c1', 'disconnected')).toBe(true);
  });

  it('given the log says connected but this hub never heard it, then the window counts from when the hub started watching', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterConnected'), t0);
    expect(tracker.silent(t0 + 1000)).toEqual([]);
    expect(tracker.silent(t0 + 1501)).toEqual([{ clusterId: 'c1' }]);
  });

  it('given a disconnected cluster, when a heartbeat arrives, then it is due to connect again', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterDisconnected'), t0);
    expect(tracker.silent(t0 + 10_000)).toEqual([]);
    expect(tracker.heartbeat('c1', t0 + 10_000)).toBe(true);
  });

  it('given a deregistered cluster, then neither heartbeats nor silence make a transition due', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterConnected'), t0);
    tracker.applyLogEvent(log('ClusterDeregistered'), t0);
    tracker.applyLogEvent(log('ClusterConnected'), t0);
    expect(tracker.heartbeat('c1', t0)).toBe(false);
    expect(tracker.silent(t0 + 10_000)).toEqual([]);
    expect(tracker.isDue('c1', 'connected')).toBe(false);
  });

  it('given a cluster id the log does not know, then heartbeats are ignored until it is registered', () => {
    const tracker = make();
    expect(tracker.heartbeat('c9', t0)).toBe(false);
    expect(tracker.connection('c9')).toBe('absent');
    expect(tracker.isDue('c9', 'connected')).toBe(false);
    tracker.applyLogEvent(log('ClusterRegistered', 'c9'), t0);
    expect(tracker.lastSeen('c9')).toBe(t0);
    expect(tracker.heartbeat('c9', t0 + 1)).toBe(true);
  });

  it('given another replica recorded the transition, then this one does not see it as due', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterRegistered'), t0);
    tracker.heartbeat('c1', t0);
    tracker.applyLogEvent(log('ClusterConnected'), t0 + 1);
    expect(tracker.heartbeat('c1', t0 + 2)).toBe(false);
  });

  it('counts the transitions of each cluster: the next one gets the next number', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterRegistered', 'a'), t0);
    tracker.applyLogEvent(log('ClusterRegistered', 'b'), t0);
    tracker.applyLogEvent(log('ClusterConnected', 'a'), t0);
    tracker.applyLogEvent(log('ClusterDisconnected', 'a'), t0);
    tracker.applyLogEvent(log('ClusterConnected', 'b'), t0);
    expect(tracker.nextTransition('a')).toBe(3);
    expect(tracker.nextTransition('b')).toBe(2);
    expect(tracker.nextTransition('unheard-of')).toBe(1);
  });

  it('given a transition this hub appended, when the tail delivers it later, then it counts once', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterRegistered'), t0);
    const own = ++position;
    tracker.recorded('c1', 'connected', own, t0);
    expect(tracker.connection('c1')).toBe('connected');
    expect(tracker.nextTransition('c1')).toBe(2);
    // An event of the cluster the tail had not delivered yet still folds in, in log order.
    expect(tracker.applyLogEvent({ type: 'ClusterDisconnected', clusterId: 'c1', position: own - 0.5 }, t0)).toBe(true);
    expect(tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c1', position: own }, t0)).toBe(false);
    expect(tracker.nextTransition('c1')).toBe(3);
  });

  it('given the tail delivered a transition before its append returned, then recording it changes nothing', () => {
    const tracker = make();
    tracker.applyLogEvent(log('ClusterRegistered'), t0);
    const event = log('ClusterConnected');
    tracker.applyLogEvent(event, t0);
    tracker.recorded('c1', 'connected', event.position, t0);
    expect(tracker.nextTransition('c1')).toBe(2);
  });

  it('given an event delivered twice, then it counts once', () => {
    const tracker = make();
    const event = log('ClusterConnected');
    expect(tracker.applyLogEvent(event, t0)).toBe(true);
    expect(tracker.applyLogEvent(event, t0)).toBe(false);
    expect(tracker.nextTransition('c1')).toBe(2);
  });
});

describe('livenessEventId', () => {
  it('is a UUID that is the same everywhere for one (cluster, n) and differs otherwise', () => {
    const id = livenessEventId('c1', 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(livenessEventId('c1', 1)).toBe(id);
    expect(new Set([id, livenessEventId('c1', 2), livenessEventId('c2', 1), livenessEventId('c11', 1)]).size).toBe(4);
  });
});

describe('LivenessTracker.pause', () => {
  it('does not count time the hub did not run as a cluster’s silence', () => {
    const tracker = new LivenessTracker({ heartbeatIntervalMs: 100, missedHeartbeats: 3 });
    tracker.applyLogEvent({ type: 'ClusterRegistered', clusterId: 'c', position: 1 }, 0);
    tracker.applyLogEvent({ type: 'ClusterConnected', clusterId: 'c', position: 2 }, 0);
    tracker.heartbeat('c', 1_000);
    tracker.pause(5_000);
    expect(tracker.silent(6_200)).toEqual([]);
    expect(tracker.silent(6_400)).toEqual([{ clusterId: 'c', lastSeen: 1_000 }]);
    tracker.heartbeat('c', 6_300);
    expect(tracker.silent(6_500)).toEqual([]);
  });
});
