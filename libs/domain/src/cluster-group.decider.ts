import type { Decider, DomainEvent } from './decider';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { validateLabelSelector, type LabelSelector } from './label-selector';
import { validateDnsLabel } from './names';

/**
 * A cluster group is a named label selector. Membership is not stored: it is computed from
 * the clusters' current labels, so it follows every label change.
 */
export const clusterGroupStreamId = (name: string): string => `cluster-group-${name}`;

const descriptionMaxLength = 1024;

export type ClusterGroupCreated = DomainEvent<
  'ClusterGroupCreated',
  { name: string; selector: LabelSelector; description: string }
>;
export type ClusterGroupDeleted = DomainEvent<'ClusterGroupDeleted', { name: string }>;
export type ClusterGroupEvent = ClusterGroupCreated | ClusterGroupDeleted;

export type ClusterGroupCommand =
  | { type: 'CreateClusterGroup'; data: { name: string; selector: LabelSelector; description?: string } }
  | { type: 'DeleteClusterGroup'; data: { name: string } };

export interface ClusterGroupState {
  status: 'none' | 'active' | 'deleted';
  name: string | null;
  selector: LabelSelector;
}

export const clusterGroupDecider: Decider<ClusterGroupCommand, ClusterGroupEvent, ClusterGroupState> = {
  initialState: () => ({ status: 'none', name: null, selector: {} }),
  decide(command, state) {
    switch (command.type) {
      case 'CreateClusterGroup': {
        const c = command.data;
        validateDnsLabel(c.name, 'name');
        if (state.status === 'active')
          throw new ConflictError(`cluster group "${c.name}" already exists`, { code: 'cluster-group-exists' });
        validateLabelSelector(c.selector);
        const description = c.description ?? '';
        if (description.length > descriptionMaxLength)
          throw new ValidationError(`description must be at most ${descriptionMaxLength} characters`, 'description');
        const selector: LabelSelector = {
          matchLabels: { ...(c.selector.matchLabels ?? {}) },
          matchExpressions: (c.selector.matchExpressions ?? []).map((r) => ({
            key: r.key,
            operator: r.operator,
            values: [...(r.values ?? [])],
          })),
        };
        return [{ type: 'ClusterGroupCreated', data: { name: c.name, selector, description } }];
      }
      case 'DeleteClusterGroup':
        if (state.status !== 'active')
          throw new NotFoundError(`cluster group "${command.data.name}" not found`, {
            code: 'cluster-group-not-found',
          });
        return [{ type: 'ClusterGroupDeleted', data: { name: command.data.name } }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ClusterGroupCreated':
        return { status: 'active', name: event.data.name, selector: event.data.selector };
      case 'ClusterGroupDeleted':
        return { ...state, status: 'deleted' };
      default:
        return state;
    }
  },
};
