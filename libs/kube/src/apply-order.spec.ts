import { applyPhases, sortForApply, sortForDelete } from './apply-order';
import type { KubeObject } from './resource-ref';

const o = (apiVersion: string, kind: string, name = kind.toLowerCase()): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name },
});

describe('apply order', () => {
  const bundle = [
    o('example.com/v1', 'Widget'),
    o('apps/v1', 'Deployment'),
    o('v1', 'Service'),
    o('v1', 'Secret'),
    o('v1', 'ConfigMap', 'b'),
    o('rbac.authorization.k8s.io/v1', 'RoleBinding'),
    o('rbac.authorization.k8s.io/v1', 'Role'),
    o('v1', 'ServiceAccount'),
    o('apiextensions.k8s.io/v1', 'CustomResourceDefinition'),
    o('v1', 'ConfigMap', 'a'),
    o('v1', 'Namespace'),
  ];

  it('applies namespaces, CRDs, RBAC, config, services, workloads, then custom resources', () => {
    expect(sortForApply(bundle).map((x) => `${x.kind}/${x.metadata.name}`)).toEqual([
      'Namespace/namespace',
      'CustomResourceDefinition/customresourcedefinition',
      'ServiceAccount/serviceaccount',
      'Role/role',
      'RoleBinding/rolebinding',
      'ConfigMap/b',
      'ConfigMap/a',
      'Secret/secret',
      'Service/service',
      'Deployment/deployment',
      'Widget/widget',
    ]);
  });

  it('deletes in exactly the reverse order', () => {
    expect(sortForDelete(bundle)).toEqual(sortForApply(bundle).reverse());
  });

  it('groups equal ranks into one phase, keeping the bundle order inside it', () => {
    const phases = applyPhases(sortForApply(bundle));
    expect(phases.map((p) => p.map((x) => x.metadata.name))).toContainEqual(['b', 'a']);
    expect(phases).toHaveLength(10);
  });

  it('does not treat a custom kind named like a core kind as the core kind', () => {
    expect(sortForApply([o('example.com/v1', 'Namespace'), o('v1', 'ConfigMap')]).map((x) => x.apiVersion)).toEqual([
      'v1',
      'example.com/v1',
    ]);
  });
});

describe('list-map keys for old servers', () => {
  it('fills protocol TCP on Service and container ports, keeping explicit ones', () => {
    // Imported here to keep the spec beside the ordering rules it complements.
    const { fillListMapKeys } = jest.requireActual<typeof import('./server-defaults')>('./server-defaults');
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] },
    };
    fillListMapKeys(svc);
    expect((svc.spec as { ports: unknown[] }).ports).toEqual([
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ]);
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] } } },
    };
    fillListMapKeys(dep);
    expect(JSON.stringify(dep)).toContain('"containerPort":8080,"protocol":"TCP"');
  });
});
