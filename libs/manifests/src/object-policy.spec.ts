import {
  checkObjectPolicy,
  defaultObjectPolicy,
  isObjectPolicyKind,
  isObjectPolicyNamespace,
  type ObjectPolicy,
} from './object-policy';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: object = {}) => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
  ...extra,
});

const deployment = obj('apps/v1', 'Deployment', 'web', 'web');
const configMapInWeb = obj('v1', 'ConfigMap', 'settings', 'web');
const configMapInKubeSystem = obj('v1', 'ConfigMap', 'leak', 'kube-system');
const clusterAdminBinding = obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'grant-admin', undefined, {
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
});

const policy = (p: Partial<ObjectPolicy>): ObjectPolicy => ({ ...defaultObjectPolicy, ...p });

describe('checkObjectPolicy: what an application may create', () => {
  describe('given the default policy (no admin said anything)', () => {
    it('when the objects are namespaced and in the target namespace, then nothing is refused', () => {
      expect(checkObjectPolicy([deployment, configMapInWeb], defaultObjectPolicy, { targetNamespace: 'web' })).toEqual(
        [],
      );
    });

    it('when a commit adds a ClusterRoleBinding and a ConfigMap in kube-system, then both are refused, each with its rule', () => {
      const violations = checkObjectPolicy(
        [deployment, clusterAdminBinding, configMapInKubeSystem],
        defaultObjectPolicy,
        { targetNamespace: 'web' },
      );
      expect(violations).toEqual([
        {
          index: 1,
          object: 'rbac.authorization.k8s.io/ClusterRoleBinding grant-admin',
          rule: 'cluster-scoped-kind',
          reason:
            "rbac.authorization.k8s.io/ClusterRoleBinding grant-admin: cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not allowed by the application's policy (allowed cluster-scoped kinds: none)",
        },
        {
          index: 2,
          object: 'ConfigMap kube-system/leak',
          rule: 'namespace',
          reason:
            "ConfigMap kube-system/leak: namespace kube-system is not allowed by the application's policy (allowed namespaces: web (web: the target's))",
        },
      ]);
    });

    it('when the target sets no namespace, then no namespace is allowed', () => {
      const violations = checkObjectPolicy([configMapInWeb], defaultObjectPolicy);
      expect(violations.map((v) => v.rule)).toEqual(['namespace']);
      expect(violations[0]!.reason).toContain('allowed namespaces: none');
    });

    it('when a Namespace object is in the bundle, then it is refused (Namespace is cluster-scoped)', () => {
      const violations = checkObjectPolicy([obj('v1', 'Namespace', 'web')], defaultObjectPolicy, {
        targetNamespace: 'web',
      });
      expect(violations.map((v) => [v.object, v.rule])).toEqual([['Namespace web', 'cluster-scoped-kind']]);
    });

    it('when an object of an unknown kind has no namespace, then it is judged as cluster-scoped and refused', () => {
      const violations = checkObjectPolicy([obj('example.com/v1', 'Widget', 'w')], defaultObjectPolicy, {
        targetNamespace: 'web',
      });
      expect(violations.map((v) => v.rule)).toEqual(['cluster-scoped-kind']);
      expect(violations[0]!.reason).toContain('taken as cluster-scoped');
    });

    it('when a known cluster-scoped kind carries a namespace, then the namespace does not make it namespaced', () => {
      const sneaky = obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'all', 'web');
      expect(checkObjectPolicy([sneaky], defaultObjectPolicy, { targetNamespace: 'web' }).map((v) => v.rule)).toEqual([
        'cluster-scoped-kind',
      ]);
    });

    it("when the bundle's own CRD declares a kind cluster-scoped, then its objects are cluster-scoped even with a namespace", () => {
      const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined, {
        spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'Widget', plural: 'widgets' } },
      });
      const widget = obj('example.com/v1', 'Widget', 'w', 'web');
      const granted = policy({ clusterScopedKinds: ['apiextensions.k8s.io/CustomResourceDefinition'] });
      expect(
        checkObjectPolicy([crd, widget], granted, { targetNamespace: 'web' }).map((v) => [v.object, v.rule]),
      ).toEqual([['example.com/Widget w', 'cluster-scoped-kind']]);
    });
  });

  describe('given a policy an admin granted', () => {
    it('when the kinds and namespaces are granted, then the same bundle passes', () => {
      const granted = policy({
        namespaces: ['kube-system'],
        clusterScopedKinds: ['rbac.authorization.k8s.io/ClusterRoleBinding'],
      });
      expect(
        checkObjectPolicy([deployment, clusterAdminBinding, configMapInKubeSystem], granted, {
          targetNamespace: 'web',
        }),
      ).toEqual([]);
    });

    it('when a group wildcard is granted, then every kind of that group passes and no other', () => {
      const granted = policy({ clusterScopedKinds: ['rbac.authorization.k8s.io/*'] });
      const role = obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r');
      const pv = obj('v1', 'PersistentVolume', 'pv');
      expect(checkObjectPolicy([clusterAdminBinding, role, pv], granted).map((v) => v.object)).toEqual([
        'PersistentVolume pv',
      ]);
    });

    it('when namespaces are granted by prefix or by *, then they match as written', () => {
      const team = policy({ namespaces: ['team-*'] });
      expect(checkObjectPolicy([obj('v1', 'ConfigMap', 'a', 'team-a')], team)).toEqual([]);
      expect(checkObjectPolicy([obj('v1', 'ConfigMap', 'a', 'teams')], team).map((v) => v.rule)).toEqual(['namespace']);
      expect(checkObjectPolicy([configMapInKubeSystem], policy({ namespaces: ['*'] }))).toEqual([]);
    });

    it('when namespaced kinds are limited, then another kind is refused even in the target namespace', () => {
      const narrow = policy({ namespacedKinds: ['apps/Deployment', 'ConfigMap'] });
      const role = obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rb', 'web');
      const violations = checkObjectPolicy([deployment, configMapInWeb, role], narrow, { targetNamespace: 'web' });
      expect(violations.map((v) => [v.object, v.rule])).toEqual([
        ['rbac.authorization.k8s.io/RoleBinding web/rb', 'namespaced-kind'],
      ]);
    });

    it('when the Namespace kind is granted, then only namespaces the application may use can be created', () => {
      const granted = policy({ clusterScopedKinds: ['Namespace'], namespaces: ['web-extra'] });
      const ok = [obj('v1', 'Namespace', 'web'), obj('v1', 'Namespace', 'web-extra')];
      expect(checkObjectPolicy(ok, granted, { targetNamespace: 'web' })).toEqual([]);
      const violations = checkObjectPolicy([obj('v1', 'Namespace', 'kube-system')], granted, {
        targetNamespace: 'web',
      });
      expect(violations.map((v) => [v.object, v.rule])).toEqual([['Namespace kube-system', 'namespace']]);
    });
  });

  describe("given the cluster's own word on scope (the agent's discovery)", () => {
    it('when a custom kind the cluster serves cluster-scoped carries a namespace, then it is judged cluster-scoped', () => {
      const widget = obj('example.com/v1', 'Widget', 'w', 'web');
      const scopeOf = (ref: { kind: string }) => (ref.kind === 'Widget' ? ('Cluster' as const) : undefined);
      expect(checkObjectPolicy([widget], defaultObjectPolicy, { targetNamespace: 'web' })).toEqual([]);
      expect(
        checkObjectPolicy([widget], defaultObjectPolicy, { targetNamespace: 'web', scopeOf }).map((v) => v.rule),
      ).toEqual(['cluster-scoped-kind']);
    });
  });

  it('patterns are validated as the REST API and the CLI accept them', () => {
    for (const ok of ['*', 'ConfigMap', 'apps/Deployment', 'rbac.authorization.k8s.io/*', 'example.com/Widget'])
      expect(isObjectPolicyKind(ok)).toBe(true);
    for (const bad of ['', '/', 'apps/', 'a b', 'apps/Deploy ment', '*/*', 'Apps/Deployment'])
      expect(isObjectPolicyKind(bad)).toBe(false);
    for (const ok of ['*', 'web', 'team-*', 'kube-system']) expect(isObjectPolicyNamespace(ok)).toBe(true);
    for (const bad of ['', 'Web', 'a*b', '-x', 'a'.repeat(64)]) expect(isObjectPolicyNamespace(bad)).toBe(false);
  });
});
