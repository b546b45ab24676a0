import { defaultObjectPolicy, type ObjectPolicy } from '@flotilla/manifests';
import { fold } from '../decider';
import { ValidationError } from '../errors';
import {
  applicationPolicyDecider,
  effectivePolicy,
  type ApplicationPolicySet,
  type SetApplicationPolicy,
} from './application-policy.decider';

const given = (...events: ApplicationPolicySet[]) => fold(applicationPolicyDecider, events);
const set = (policy: Partial<ObjectPolicy>, application = 'web'): SetApplicationPolicy => ({
  type: 'SetApplicationPolicy',
  data: { application, policy: { ...defaultObjectPolicy, ...policy } },
});

describe('application policy decider', () => {
  it('given no policy, then the default is in force: the target namespace, any namespaced kind, nothing cluster-scoped', () => {
    expect(effectivePolicy(given())).toEqual({ namespaces: [], clusterScopedKinds: [], namespacedKinds: ['*'] });
  });

  it('when an admin grants kinds and namespaces, then ApplicationPolicySet holds them sorted and without repeats', () => {
    const events = applicationPolicyDecider.decide(
      set({
        namespaces: ['kube-system', 'kube-system'],
        clusterScopedKinds: ['rbac.authorization.k8s.io/*', 'Namespace'],
      }),
      given(),
    );
    expect(events).toEqual([
      {
        type: 'ApplicationPolicySet',
        data: {
          application: 'web',
          policy: {
            namespaces: ['kube-system'],
            clusterScopedKinds: ['Namespace', 'rbac.authorization.k8s.io/*'],
            namespacedKinds: ['*'],
          },
        },
      },
    ]);
  });

  it('given a policy, when the same one is set again (another order), then nothing is recorded', () => {
    const [first] = applicationPolicyDecider.decide(set({ namespaces: ['a', 'b'] }), given());
    expect(applicationPolicyDecider.decide(set({ namespaces: ['b', 'a'] }), given(first!))).toEqual([]);
  });

  it('given no policy, when the default is set, then nothing is recorded (it is in force already)', () => {
    expect(applicationPolicyDecider.decide(set({}), given())).toEqual([]);
  });

  it('given a grant, when it is taken back, then the narrower policy is recorded', () => {
    const [grant] = applicationPolicyDecider.decide(set({ clusterScopedKinds: ['*'] }), given());
    expect(applicationPolicyDecider.decide(set({}), given(grant!))).toEqual([
      { type: 'ApplicationPolicySet', data: { application: 'web', policy: defaultObjectPolicy } },
    ]);
  });

  it('when a pattern is malformed, then it is refused naming the field', () => {
    expect(() => applicationPolicyDecider.decide(set({ namespaces: ['Kube System'] }), given())).toThrow(
      new ValidationError('namespaces[0]: must be a namespace name, a prefix ending in * or *', 'namespaces[0]'),
    );
    expect(() => applicationPolicyDecider.decide(set({ clusterScopedKinds: ['rbac/'] }), given())).toThrow(
      ValidationError,
    );
    expect(() => applicationPolicyDecider.decide(set({}, 'Not_A_Name'), given())).toThrow(ValidationError);
  });
});
