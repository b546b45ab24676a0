import {
  allBundleRequestsSubject,
  allDesiredStateRequestsSubject,
  bundleRequestSubject,
  clusterIdOfAgentRequestSubject,
  clusterPermissions,
  desiredStateRequestSubject,
  desiredStateSubject,
  InvalidSubjectTokenError,
} from './subjects';

// Just enough NATS matching to check the agent's permissions cover its own requests only.
const matches = (pattern: string, subject: string): boolean => {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
};

describe('desired-state and bundle subjects', () => {
  it('lays out pushes under hub.<id> and requests under agent.<id>', () => {
    expect(desiredStateSubject('c1')).toBe('flotilla.v1.hub.c1.desired');
    expect(desiredStateRequestSubject('c1')).toBe('flotilla.v1.agent.c1.desired.get');
    expect(bundleRequestSubject('c1')).toBe('flotilla.v1.agent.c1.bundle.get');
    expect(matches(allDesiredStateRequestsSubject(), desiredStateRequestSubject('c9'))).toBe(true);
    expect(matches(allBundleRequestsSubject(), bundleRequestSubject('c9'))).toBe(true);
    expect(matches(allBundleRequestsSubject(), desiredStateRequestSubject('c9'))).toBe(false);
  });

  it('an agent may request its own desired state and bundles, and read its own pushes, nobody else’s', () => {
    const own = clusterPermissions('ca');
    expect(own.publish.allow.some((p) => matches(p, desiredStateRequestSubject('ca')))).toBe(true);
    expect(own.publish.allow.some((p) => matches(p, bundleRequestSubject('ca')))).toBe(true);
    expect(own.publish.allow.some((p) => matches(p, bundleRequestSubject('cb')))).toBe(false);
    expect(own.subscribe.allow.some((p) => matches(p, desiredStateSubject('ca')))).toBe(true);
    expect(own.subscribe.allow.some((p) => matches(p, desiredStateSubject('cb')))).toBe(false);
  });

  it('reads the cluster id back from request subjects only', () => {
    expect(clusterIdOfAgentRequestSubject(desiredStateRequestSubject('c1'), 'desired')).toBe('c1');
    expect(clusterIdOfAgentRequestSubject(bundleRequestSubject('c1'), 'bundle')).toBe('c1');
    expect(clusterIdOfAgentRequestSubject(bundleRequestSubject('c1'), 'desired')).toBeUndefined();
    expect(clusterIdOfAgentRequestSubject('flotilla.v1.hub.c1.desired.get', 'desired')).toBeUndefined();
    expect(clusterIdOfAgentRequestSubject('flotilla.v1.agent.c1.desired.get.x', 'desired')).toBeUndefined();
  });

  it('refuses wildcards in a cluster id', () => {
    expect(() => bundleRequestSubject('*')).toThrow(InvalidSubjectTokenError);
    expect(() => desiredStateRequestSubject('a.b')).toThrow(InvalidSubjectTokenError);
  });
});
