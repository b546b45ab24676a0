import { checkScope } from './allowlist';

describe('agent scope', () => {
  const scope = { namespaces: ['team-a'], kinds: ['ConfigMap', 'apps/Deployment', 'example.com/*', 'Namespace'] };

  it('allows listed kinds in listed namespaces', () => {
    expect(checkScope(scope, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a', name: 'x' })).toBeUndefined();
    expect(
      checkScope(scope, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'team-a', name: 'x' }),
    ).toBeUndefined();
    expect(
      checkScope(scope, { apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'team-a', name: 'x' }),
    ).toBeUndefined();
  });

  it('refuses other kinds, other groups of the same kind name, and other namespaces', () => {
    expect(checkScope(scope, { apiVersion: 'v1', kind: 'Secret', namespace: 'team-a', name: 'x' })).toMatch(
      /kind Secret/,
    );
    expect(checkScope(scope, { apiVersion: 'other.io/v1', kind: 'ConfigMap', namespace: 'team-a', name: 'x' })).toMatch(
      /other.io\/ConfigMap/,
    );
    expect(checkScope(scope, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'x' })).toMatch(
      /namespace kube-system/,
    );
  });

  it('judges a Namespace by its own name', () => {
    expect(checkScope(scope, { apiVersion: 'v1', kind: 'Namespace', name: 'team-a' })).toBeUndefined();
    expect(checkScope(scope, { apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' })).toMatch(
      /namespace kube-system/,
    );
  });
});
