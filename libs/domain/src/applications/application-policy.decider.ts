import {
  defaultObjectPolicy,
  isObjectPolicyKind,
  isObjectPolicyNamespace,
  type ObjectPolicy,
} from '@flotilla/manifests';
import type { Decider, DomainEvent } from '../decider';
import { ValidationError } from '../errors';
import { validateDnsLabel } from '../names';

/**
 * What an application may create (its object policy), set by an admin, one stream per
 * application name. It lives apart from the application's own stream on purpose: operators
 * write applications (`apps apply`), admins write policies, and deleting and re-creating an
 * application does not reset what its name may touch. A name no admin gave a policy gets
 * `defaultObjectPolicy` (its target namespace, any namespaced kind, nothing cluster-scoped).
 * A policy may be set before the application exists.
 */
export const applicationPolicyStreamId = (application: string): string => `policy-${application}`;

export type ApplicationPolicySet = DomainEvent<'ApplicationPolicySet', { application: string; policy: ObjectPolicy }>;
export const applicationPolicySetType = 'ApplicationPolicySet';

export type SetApplicationPolicy = {
  type: 'SetApplicationPolicy';
  data: { application: string; policy: ObjectPolicy };
};

export interface ApplicationPolicyState {
  /** Null until an admin sets one: the default applies. */
  policy: ObjectPolicy | null;
}

/** The policy in force for a stream's state. */
export function effectivePolicy(state: ApplicationPolicyState): ObjectPolicy {
  return state.policy ?? defaultObjectPolicy;
}

function patterns(values: unknown, field: string, valid: (p: string) => boolean, what: string): string[] {
  if (!Array.isArray(values)) throw new ValidationError(`${field} must be a list`, field);
  values.forEach((value, i) => {
    if (typeof value !== 'string' || !valid(value))
      throw new ValidationError(`${field}[${i}]: ${what}`, `${field}[${i}]`);
  });
  // Order and repeats mean nothing: the same grant is the same policy (and no new event).
  return [...new Set(values as string[])].sort();
}

/** A policy as given, checked and in canonical form (lists deduplicated and sorted). */
export function normaliseObjectPolicy(policy: ObjectPolicy): ObjectPolicy {
  const kind = 'must be a kind: Kind (core group), group/Kind, group/* or *';
  return {
    namespaces: patterns(
      policy.namespaces,
      'namespaces',
      isObjectPolicyNamespace,
      'must be a namespace name, a prefix ending in * or *',
    ),
    clusterScopedKinds: patterns(policy.clusterScopedKinds, 'clusterScopedKinds', isObjectPolicyKind, kind),
    namespacedKinds: patterns(policy.namespacedKinds, 'namespacedKinds', isObjectPolicyKind, kind),
  };
}

export function sameObjectPolicy(a: ObjectPolicy, b: ObjectPolicy): boolean {
  const same = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    same(a.namespaces, b.namespaces) &&
    same(a.clusterScopedKinds, b.clusterScopedKinds) &&
    same(a.namespacedKinds, b.namespacedKinds)
  );
}

export const applicationPolicyDecider: Decider<SetApplicationPolicy, ApplicationPolicySet, ApplicationPolicyState> = {
  initialState: () => ({ policy: null }),
  decide(command, state) {
    const application = validateDnsLabel(command.data.application, 'application');
    const policy = normaliseObjectPolicy(command.data.policy);
    // Setting what is in force already changes nothing: no event, so retries are harmless.
    if (sameObjectPolicy(effectivePolicy(state), policy)) return [];
    return [{ type: 'ApplicationPolicySet', data: { application, policy } }];
  },
  evolve(state, event) {
    return event.type === 'ApplicationPolicySet' ? { policy: event.data.policy } : state;
  },
};
