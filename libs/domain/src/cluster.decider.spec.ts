import {
  clusterDecider,
  clusterKeyDecider,
  clusterNameDecider,
  type ClusterCommand,
  type ClusterEvent,
} from './cluster.decider';
import { fold } from './decider';
import { ConflictError, NotFoundError, ValidationError } from './errors';

const now = new Date('2026-11-26T10:00:00.000Z');
const publicKey = `U${'A'.repeat(55)}`;
const register = (
  overrides: Partial<Extract<ClusterCommand, { type: 'RegisterCluster' }>['data']> = {},
): ClusterCommand => ({
  type: 'RegisterCluster',
  data: {
    clusterId: 'c0123456789abcdef',
    name: 'prod-eu-1',
    labels: { env: 'prod' },
    publicKey,
    agentVersion: '0.1.0',
    kubernetesVersion: 'v1.20.2',
    tokenId: '0123456789ab',
    now,
    ...overrides,
  },
});
const registered: ClusterEvent = clusterDecider.decide(register(), clusterDecider.initialState())[0]!;
const given = (...events: ClusterEvent[]) => fold(clusterDecider, events);

describe('cluster decider', () => {
  it('given nothing, when registering, then ClusterRegistered carries name, labels, key and versions', () => {
    expect(clusterDecider.decide(register(), given())).toEqual([
      {
        type: 'ClusterRegistered',
        data: {
          clusterId: 'c0123456789abcdef',
          name: 'prod-eu-1',
          labels: { env: 'prod' },
          publicKey,
          agentVersion: '0.1.0',
          kubernetesVersion: 'v1.20.2',
          tokenId: '0123456789ab',
          registeredAt: now.toISOString(),
        },
      },
    ]);
  });

  it('given nothing, when registering with the API versions discovery gave, then they are recorded sorted and once', () => {
    const [event] = clusterDecider.decide(
      register({ apiVersions: ['v1', 'monitoring.coreos.com/v1', 'apps/v1', 'v1', 'batch/v1beta1'] }),
      given(),
    );
    expect(event!.type === 'ClusterRegistered' && event.data.apiVersions).toEqual([
      'apps/v1',
      'batch/v1beta1',
      'monitoring.coreos.com/v1',
      'v1',
    ]);
  });

  it.each([
    ['apps/v1 '],
    ['../v1'],
    ['apps/v1/Deployment'],
    ['Apps/v1'],
    ['apps/'],
    ['apps/1'],
    ['a'.repeat(300) + '/v1'],
  ])(
    'given nothing, when an agent reports the API version %j, then registration is refused on apiVersions',
    (apiVersion) => {
      expect(() => clusterDecider.decide(register({ apiVersions: ['v1', apiVersion] }), given())).toThrow(
        expect.objectContaining({ field: 'apiVersions' }),
      );
    },
  );

  it('given a registered cluster, when registering again, then it conflicts', () => {
    expect(() => clusterDecider.decide(register(), given(registered))).toThrow(ConflictError);
  });

  it.each([
    [{ name: 'Prod' }, 'name'],
    [{ name: 'a.b' }, 'name'],
    [{ publicKey: 'not-a-key' }, 'publicKey'],
    [{ publicKey: `N${'A'.repeat(55)}` }, 'publicKey'],
    [{ clusterId: 'c.1' }, 'clusterId'],
    [{ labels: { 'bad key': 'x' } }, 'labels.bad key'],
    [{ agentVersion: 'x y' }, 'agentVersion'],
  ])('when registering with %j, then a validation error names %s', (overrides, field) => {
    try {
      clusterDecider.decide(register(overrides), given());
      throw new Error('expected a ValidationError');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
  });

  it('when labels change, then ClusterLabelsChanged holds the new and previous sets', () => {
    expect(
      clusterDecider.decide(
        { type: 'ChangeClusterLabels', data: { labels: { env: 'staging', team: 'a' } } },
        given(registered),
      ),
    ).toEqual([
      {
        type: 'ClusterLabelsChanged',
        data: { clusterId: 'c0123456789abcdef', labels: { env: 'staging', team: 'a' }, previous: { env: 'prod' } },
      },
    ]);
  });

  it('when labels are set to what they are, then nothing happens', () => {
    expect(
      clusterDecider.decide({ type: 'ChangeClusterLabels', data: { labels: { env: 'prod' } } }, given(registered)),
    ).toEqual([]);
  });

  it('when labels are invalid, then nothing is decided', () => {
    expect(() =>
      clusterDecider.decide({ type: 'ChangeClusterLabels', data: { labels: { env: '-x' } } }, given(registered)),
    ).toThrow(ValidationError);
  });

  it('given no cluster, when labelling or deregistering, then it is not found', () => {
    expect(() => clusterDecider.decide({ type: 'ChangeClusterLabels', data: { labels: {} } }, given())).toThrow(
      NotFoundError,
    );
    expect(() => clusterDecider.decide({ type: 'DeregisterCluster', data: {} }, given())).toThrow(NotFoundError);
  });

  it('when deregistering, then ClusterDeregistered carries the public key to revoke', () => {
    const events = clusterDecider.decide({ type: 'DeregisterCluster', data: {} }, given(registered));
    expect(events).toEqual([
      { type: 'ClusterDeregistered', data: { clusterId: 'c0123456789abcdef', publicKey, name: 'prod-eu-1' } },
    ]);
    const state = given(registered, ...events);
    expect(state.status).toBe('deregistered');
    expect(() => clusterDecider.decide({ type: 'DeregisterCluster', data: {} }, state)).toThrow(NotFoundError);
    expect(() => clusterDecider.decide({ type: 'ChangeClusterLabels', data: { labels: {} } }, state)).toThrow(
      NotFoundError,
    );
  });

  it('follows liveness transitions, and a deregistered cluster never turns connected', () => {
    expect(given(registered).connection).toBe('pending');
    expect(
      given(registered, { type: 'ClusterConnected', data: { clusterId: 'c0123456789abcdef', at: now.toISOString() } })
        .connection,
    ).toBe('connected');
    expect(
      given(
        registered,
        { type: 'ClusterConnected', data: { clusterId: 'c0123456789abcdef', at: now.toISOString() } },
        { type: 'ClusterDisconnected', data: { clusterId: 'c0123456789abcdef', lastSeenAt: now.toISOString() } },
      ).connection,
    ).toBe('disconnected');
    expect(
      given(
        registered,
        { type: 'ClusterDeregistered', data: { clusterId: 'c0123456789abcdef', publicKey, name: 'prod-eu-1' } },
        { type: 'ClusterConnected', data: { clusterId: 'c0123456789abcdef', at: now.toISOString() } },
      ).connection,
    ).toBe('disconnected');
  });
});

describe('cluster name claims', () => {
  const claim = (clusterId: string) => ({ type: 'ClaimClusterName' as const, data: { name: 'prod', clusterId } });
  it('given a free name, when claimed, then it is held', () => {
    const events = clusterNameDecider.decide(claim('c1'), clusterNameDecider.initialState());
    expect(fold(clusterNameDecider, events).heldBy).toBe('c1');
  });
  it('given a held name, when another cluster claims it, then it conflicts', () => {
    const state = fold(clusterNameDecider, clusterNameDecider.decide(claim('c1'), clusterNameDecider.initialState()));
    expect(() => clusterNameDecider.decide(claim('c2'), state)).toThrow(ConflictError);
  });
  it('given a released name, then it can be claimed again; a stranger cannot release it', () => {
    let state = fold(clusterNameDecider, clusterNameDecider.decide(claim('c1'), clusterNameDecider.initialState()));
    expect(
      clusterNameDecider.decide({ type: 'ReleaseClusterName', data: { name: 'prod', clusterId: 'c2' } }, state),
    ).toEqual([]);
    state = clusterNameDecider.evolve(
      state,
      clusterNameDecider.decide({ type: 'ReleaseClusterName', data: { name: 'prod', clusterId: 'c1' } }, state)[0]!,
    );
    expect(clusterNameDecider.decide(claim('c2'), state)).toEqual([
      { type: 'ClusterNameClaimed', data: { name: 'prod', clusterId: 'c2' } },
    ]);
  });
});

describe('clusterKeyDecider (one key, one cluster)', () => {
  const claim = (clusterId: string) => ({ type: 'ClaimClusterKey', data: { publicKey: 'UKEY', clusterId } }) as const;

  it('given a key never claimed, when a cluster claims it, then it is claimed', () => {
    expect(clusterKeyDecider.decide(claim('c1'), clusterKeyDecider.initialState())).toEqual([
      { type: 'ClusterKeyClaimed', data: { publicKey: 'UKEY', clusterId: 'c1' } },
    ]);
  });

  it('given a claimed key, when another cluster claims it, then it is refused as key-taken', () => {
    const state = clusterKeyDecider.evolve(clusterKeyDecider.initialState(), {
      type: 'ClusterKeyClaimed',
      data: { publicKey: 'UKEY', clusterId: 'c1' },
    });
    expect(() => clusterKeyDecider.decide(claim('c2'), state)).toThrow(
      expect.objectContaining({ code: 'cluster-key-taken' }),
    );
  });
});
