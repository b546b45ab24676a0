import { ValidationError } from './errors';
import {
  labelKeyProblem,
  labelValueProblem,
  matchesLabelSelector,
  validateLabels,
  validateLabelSelector,
  type LabelSelector,
} from './label-selector';

describe('label keys and values (Kubernetes rules)', () => {
  it.each(['env', 'app.kubernetes.io/name', 'example.com/tier', 'a', 'A_b.c-9', 'x'.repeat(63)])(
    'accepts key %s',
    (key) => {
      expect(labelKeyProblem(key)).toBeUndefined();
    },
  );

  it.each([
    ['', 'empty'],
    ['-env', 'starts with a dash'],
    ['env-', 'ends with a dash'],
    ['x'.repeat(64), 'name longer than 63'],
    ['a/b/c', 'two slashes'],
    ['/name', 'empty prefix'],
    ['Example.com/name', 'uppercase prefix'],
    ['example.com/', 'empty name'],
    ['has space', 'whitespace'],
    [`${'a'.repeat(254)}/name`, 'prefix longer than 253'],
  ])('refuses key %j (%s)', (key) => {
    expect(labelKeyProblem(key)).toEqual(expect.any(String));
  });

  it.each(['', 'prod', 'eu-west-1', 'v1.2_3', 'x'.repeat(63)])('accepts value %j', (value) => {
    expect(labelValueProblem(value)).toBeUndefined();
  });

  it.each(['-prod', 'prod.', 'x'.repeat(64), 'a b', 'a/b'])('refuses value %j', (value) => {
    expect(labelValueProblem(value)).toEqual(expect.any(String));
  });

  it('names the offending label in the error field', () => {
    expect(() => validateLabels({ env: 'prod', 'bad key': 'x' })).toThrow(ValidationError);
    // The error is taken out of the catch so that no error at all fails the test too.
    let thrown: unknown;
    try {
      validateLabels({ env: 'prod', region: '-eu' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).field).toBe('labels.region');
  });
});

describe('selector validation', () => {
  const field = (selector: LabelSelector): string | undefined => {
    try {
      validateLabelSelector(selector);
      return undefined;
    } catch (err) {
      return (err as ValidationError).field;
    }
  };

  it('accepts a valid selector', () => {
    expect(
      field({
        matchLabels: { env: 'prod' },
        matchExpressions: [
          { key: 'region', operator: 'In', values: ['eu', 'us'] },
          { key: 'gpu', operator: 'Exists' },
        ],
      }),
    ).toBeUndefined();
  });
  it('requires values for In and NotIn', () => {
    expect(field({ matchExpressions: [{ key: 'region', operator: 'In', values: [] }] })).toBe(
      'selector.matchExpressions[0].values',
    );
    expect(field({ matchExpressions: [{ key: 'region', operator: 'NotIn' }] })).toBe(
      'selector.matchExpressions[0].values',
    );
  });
  it('forbids values for Exists and DoesNotExist', () => {
    expect(field({ matchExpressions: [{ key: 'gpu', operator: 'Exists', values: ['x'] }] })).toBe(
      'selector.matchExpressions[0].values',
    );
    expect(
      field({
        matchExpressions: [
          { key: 'a', operator: 'Exists' },
          { key: 'gpu', operator: 'DoesNotExist', values: ['x'] },
        ],
      }),
    ).toBe('selector.matchExpressions[1].values');
  });
  it('refuses unknown operators, bad keys and bad values', () => {
    expect(field({ matchExpressions: [{ key: 'a', operator: 'Gt' as never, values: ['1'] }] })).toBe(
      'selector.matchExpressions[0].operator',
    );
    expect(field({ matchExpressions: [{ key: 'bad key', operator: 'Exists' }] })).toBe(
      'selector.matchExpressions[0].key',
    );
    expect(field({ matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'not ok'] }] })).toBe(
      'selector.matchExpressions[0].values[1]',
    );
    expect(field({ matchLabels: { env: 'pr od' } })).toBe('selector.matchLabels.env');
  });
});

describe('selector matching (Kubernetes semantics)', () => {
  const clusters: Record<string, Record<string, string>> = {
    'prod-eu': { env: 'prod', region: 'eu', gpu: 'true' },
    'prod-us': { env: 'prod', region: 'us' },
    'staging-eu': { env: 'staging', region: 'eu' },
    bare: {},
    'empty-region': { env: 'dev', region: '' },
  };
  const select = (selector: LabelSelector): string[] =>
    Object.entries(clusters)
      .filter(([, labels]) => matchesLabelSelector(selector, labels))
      .map(([name]) => name)
      .sort();

  it('given an empty selector, then every cluster matches', () => {
    expect(select({})).toEqual(Object.keys(clusters).sort());
    expect(select({ matchLabels: {}, matchExpressions: [] })).toEqual(Object.keys(clusters).sort());
  });
  it('matchLabels requires each key with exactly that value', () => {
    expect(select({ matchLabels: { env: 'prod' } })).toEqual(['prod-eu', 'prod-us']);
    expect(select({ matchLabels: { env: 'prod', region: 'eu' } })).toEqual(['prod-eu']);
    expect(select({ matchLabels: { region: '' } })).toEqual(['empty-region']);
  });
  it('In matches only clusters that have the key with one of the values', () => {
    expect(select({ matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'asia'] }] })).toEqual([
      'prod-eu',
      'staging-eu',
    ]);
  });
  it('NotIn also matches clusters without the key', () => {
    expect(select({ matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['eu'] }] })).toEqual([
      'bare',
      'empty-region',
      'prod-us',
    ]);
  });
  it('Exists and DoesNotExist look only at the key (an empty value exists)', () => {
    expect(select({ matchExpressions: [{ key: 'region', operator: 'Exists' }] })).toEqual([
      'empty-region',
      'prod-eu',
      'prod-us',
      'staging-eu',
    ]);
    expect(select({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] })).toEqual([
      'bare',
      'empty-region',
      'prod-us',
      'staging-eu',
    ]);
  });
  it('all requirements are ANDed, across matchLabels and matchExpressions', () => {
    expect(
      select({
        matchLabels: { env: 'prod' },
        matchExpressions: [
          { key: 'region', operator: 'In', values: ['eu', 'us'] },
          { key: 'gpu', operator: 'DoesNotExist' },
        ],
      }),
    ).toEqual(['prod-us']);
  });
  it('a key inherited from Object.prototype is not a label', () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, {})).toBe(false);
  });
});
