import { matchesLabelSelector } from './label-selector';

describe('matchesLabelSelector', () => {
  const labels = { env: 'prod', region: 'eu' };

  it('given matchLabels, then every label must be equal', () => {
    expect(matchesLabelSelector({ matchLabels: { env: 'prod', region: 'eu' } }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { env: 'prod', region: 'us' } }, labels)).toBe(false);
  });

  it('given each operator, then it follows Kubernetes semantics (NotIn matches an absent label)', () => {
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'us'] }] }, labels),
    ).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] }, labels)).toBe(
      false,
    );
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['eu'] }] }, labels),
    ).toBe(false);
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a'] }] }, labels),
    ).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, labels)).toBe(false);
  });

  it('given an empty selector, then it selects every cluster', () => {
    expect(matchesLabelSelector({}, {})).toBe(true);
  });
});
