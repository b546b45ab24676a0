import {
  isRegistrationReply,
  isReplyOfCluster,
  parseStatusRelaySubject,
  statusRelaySubject,
  statusRelaySubjectOf,
  InvalidSubjectTokenError,
  agentInboxPrefix,
  bootstrapPermissions,
  clusterIdOfHeartbeatSubject,
  clusterPermissions,
  desiredStateSubject,
  heartbeatSubject,
  registerSubject,
  statusSubject,
  subjectToken,
} from './subjects';

// NATS subject matching, just enough to check that permissions confine as intended.
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
const allowed = (patterns: string[], subject: string) => patterns.some((p) => matches(p, subject));

describe('subject tokens', () => {
  it.each(['', 'a.b', 'a*', '>', 'a b', 'a\tb', 'a\nb', 'x\u0000'])('refuses %j', (value) => {
    expect(() => subjectToken(value, 'cluster id')).toThrow(InvalidSubjectTokenError);
  });

  it('names the offending value and what it was', () => {
    expect(() => heartbeatSubject('a.b')).toThrow(/cluster id "a\.b"/);
  });

  it('accepts ids, dashes and underscores', () => {
    expect(subjectToken('c-0a1b2c3d4e5f')).toBe('c-0a1b2c3d4e5f');
    expect(heartbeatSubject('k3x9_q')).toBe('flotilla.v1.agent.k3x9_q.heartbeat');
  });
});

describe('subject layout', () => {
  it('puts direction before the cluster id', () => {
    expect(heartbeatSubject('c1')).toBe('flotilla.v1.agent.c1.heartbeat');
    expect(statusSubject('c1', 'sync')).toBe('flotilla.v1.agent.c1.status.sync');
    expect(desiredStateSubject('c1')).toBe('flotilla.v1.hub.c1.desired');
    expect(registerSubject()).toBe('flotilla.v1.register');
  });

  it('reads the cluster id back from a heartbeat subject only', () => {
    expect(clusterIdOfHeartbeatSubject(heartbeatSubject('c1'))).toBe('c1');
    expect(clusterIdOfHeartbeatSubject('flotilla.v1.agent.c1.status')).toBeUndefined();
    expect(clusterIdOfHeartbeatSubject('flotilla.v1.hub.c1.heartbeat')).toBeUndefined();
    expect(clusterIdOfHeartbeatSubject('other.v1.agent.c1.heartbeat')).toBeUndefined();
  });
});

describe('reply subjects a responder accepts', () => {
  it('answers a cluster only under its own inbox prefix', () => {
    expect(isReplyOfCluster(`${agentInboxPrefix('ca')}.abc.1`, 'ca')).toBe(true);
    for (const reply of [
      undefined,
      '',
      `${agentInboxPrefix('cb')}.abc`,
      `${agentInboxPrefix('ca')}`,
      `${agentInboxPrefix('ca')}x.abc`,
      `${agentInboxPrefix('ca')}.*`,
      `${agentInboxPrefix('ca')}.>`,
      `${agentInboxPrefix('ca')}..x`,
      desiredStateSubject('cb'),
      '$JS.API.STREAM.PURGE.status',
    ])
      expect(isReplyOfCluster(reply, 'ca')).toBe(false);
  });

  it('answers a registration only under the bootstrap inbox', () => {
    expect(isRegistrationReply('_INBOX_REGISTER.abc.1')).toBe(true);
    for (const reply of [undefined, '_INBOX_REGISTER', '_INBOX.ca.x', '_INBOX_REGISTER.>', desiredStateSubject('cb')])
      expect(isRegistrationReply(reply)).toBe(false);
  });

  it('maps a stream subject to the relay subject of the same cluster and kind', () => {
    expect(statusRelaySubjectOf(statusSubject('ca', 'sync'))).toBe(statusRelaySubject('ca', 'sync'));
    expect(parseStatusRelaySubject(statusRelaySubject('ca', 'sync'))).toEqual({ clusterId: 'ca', kind: 'sync' });
  });
});

describe('clusterPermissions', () => {
  const a = clusterPermissions('ca');

  it('lets an agent publish its own heartbeats and status, and receive its own desired state and replies', () => {
    expect(allowed(a.publish.allow, heartbeatSubject('ca'))).toBe(true);
    expect(allowed(a.publish.allow, statusRelaySubject('ca', 'sync'))).toBe(true);
    // Into the stream only through the hub's relay: JetStream acks to any reply it is given.
    expect(allowed(a.publish.deny!, statusSubject('ca', 'sync'))).toBe(true);
    expect(allowed(a.publish.deny!, statusRelaySubject('ca', 'sync'))).toBe(false);
    expect(allowed(a.subscribe.allow, desiredStateSubject('ca'))).toBe(true);
    expect(allowed(a.subscribe.allow, `${agentInboxPrefix('ca')}.xyz`)).toBe(true);
  });

  it("confines it away from another cluster's subjects and from registration", () => {
    expect(allowed(a.publish.allow, heartbeatSubject('cb'))).toBe(false);
    expect(allowed(a.publish.allow, statusSubject('cb', 'sync'))).toBe(false);
    expect(allowed(a.publish.allow, registerSubject())).toBe(false);
    expect(allowed(a.publish.allow, desiredStateSubject('ca'))).toBe(false);
    expect(allowed(a.subscribe.allow, desiredStateSubject('cb'))).toBe(false);
    expect(allowed(a.subscribe.allow, heartbeatSubject('ca'))).toBe(false);
    expect(allowed(a.subscribe.allow, `${agentInboxPrefix('cb')}.xyz`)).toBe(false);
    expect(allowed(a.subscribe.allow, '_INBOX_REGISTER.xyz')).toBe(false);
  });

  it('never grants a bare wildcard over everything', () => {
    for (const p of [...a.publish.allow, ...a.subscribe.allow]) {
      expect(p.split('.').length).toBeGreaterThanOrEqual(3);
    }
  });

  it('refuses an invalid cluster id', () => {
    expect(() => clusterPermissions('*')).toThrow(InvalidSubjectTokenError);
  });
});

describe('bootstrapPermissions', () => {
  const b = bootstrapPermissions();
  it('allows the registration request and its reply only', () => {
    expect(allowed(b.publish.allow, registerSubject())).toBe(true);
    expect(allowed(b.subscribe.allow, '_INBOX_REGISTER.abc')).toBe(true);
    expect(allowed(b.publish.allow, heartbeatSubject('ca'))).toBe(false);
    expect(allowed(b.subscribe.allow, `${agentInboxPrefix('ca')}.abc`)).toBe(false);
    expect(allowed(b.subscribe.allow, desiredStateSubject('ca'))).toBe(false);
  });
});
