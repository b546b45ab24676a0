import { clusterGroupDecider, type ClusterGroupEvent } from './cluster-group.decider';
import { fold } from './decider';
import { ConflictError, NotFoundError, ValidationError } from './errors';

const given = (...events: ClusterGroupEvent[]) => fold(clusterGroupDecider, events);
const create = {
  type: 'CreateClusterGroup' as const,
  data: {
    name: 'prod-eu',
    selector: {
      matchLabels: { env: 'prod' },
      matchExpressions: [{ key: 'region', operator: 'In' as const, values: ['eu'] }],
    },
  },
};

describe('cluster group decider', () => {
  it('when created, then ClusterGroupCreated holds a normalised selector', () => {
    expect(clusterGroupDecider.decide(create, given())).toEqual([
      {
        type: 'ClusterGroupCreated',
        data: {
          name: 'prod-eu',
          description: '',
          selector: {
            matchLabels: { env: 'prod' },
            matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }],
          },
        },
      },
    ]);
  });
  it('given an existing group, when created again, then it conflicts', () => {
    expect(() => clusterGroupDecider.decide(create, given(...clusterGroupDecider.decide(create, given())))).toThrow(
      ConflictError,
    );
  });
  it('given a deleted group, then the name can be used again', () => {
    const created = clusterGroupDecider.decide(create, given());
    const deleted = clusterGroupDecider.decide(
      { type: 'DeleteClusterGroup', data: { name: 'prod-eu' } },
      given(...created),
    );
    expect(clusterGroupDecider.decide(create, given(...created, ...deleted))).toHaveLength(1);
  });
  it('when deleting a group that does not exist, then it is not found', () => {
    expect(() => clusterGroupDecider.decide({ type: 'DeleteClusterGroup', data: { name: 'x' } }, given())).toThrow(
      NotFoundError,
    );
  });
  it('refuses a bad name or selector, naming the field', () => {
    expect(() => clusterGroupDecider.decide({ ...create, data: { ...create.data, name: 'Prod EU' } }, given())).toThrow(
      ValidationError,
    );
    try {
      clusterGroupDecider.decide(
        {
          ...create,
          data: { ...create.data, selector: { matchExpressions: [{ key: 'region', operator: 'In', values: [] }] } },
        },
        given(),
      );
    } catch (err) {
      expect((err as ValidationError).field).toBe('selector.matchExpressions[0].values');
    }
  });
});
