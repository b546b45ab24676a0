import { UsageError } from '../errors';
import { formatSelector, matchesSelector, parseSelector } from './selector';

describe('label selector syntax', () => {
  it('reads equality, set-based and existence requirements', () => {
    expect(parseSelector('env=prod, region in (eu, us),tier!=db,!legacy,gpu,zone notin (a)')).toEqual({
      matchLabels: { env: 'prod' },
      matchExpressions: [
        { key: 'region', operator: 'In', values: ['eu', 'us'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'gpu', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ],
    });
    expect(parseSelector('env==prod,example.com/team=')).toEqual({
      matchLabels: { env: 'prod', 'example.com/team': '' },
    });
    expect(parseSelector('  ')).toEqual({});
  });

  it.each([
    ['env=prod,', /trailing ","/],
    ['region in eu', /expected "\(" after "region in"/],
    ['region in (eu', /expected "," or "\)"/],
    ['env=prod env=dev', /expected "," before "env"/],
    ['env=a,env=b', /cannot equal two values/],
    ['(x)', /expected a label key before "\("/],
    ['!', /expected a label key after "!" at the end/],
  ])('refuses %s naming the problem', (text, message) => {
    expect(() => parseSelector(text)).toThrow(UsageError);
    expect(() => parseSelector(text)).toThrow(message);
  });

  it('writes a selector back in the same syntax', () => {
    const text = 'env=prod,region in (eu,us),tier notin (db),gpu,!legacy';
    expect(formatSelector(parseSelector(text))).toBe(text);
    expect(formatSelector({})).toBe('<every cluster>');
  });

  it('matches as Kubernetes does (NotIn also matches a missing key)', () => {
    const selector = parseSelector('env=prod,region in (eu,us),tier!=db');
    expect(matchesSelector(selector, { env: 'prod', region: 'eu' })).toBe(true);
    expect(matchesSelector(selector, { env: 'prod', region: 'eu', tier: 'db' })).toBe(false);
    expect(matchesSelector(selector, { env: 'prod', region: 'ap' })).toBe(false);
    expect(matchesSelector(selector, { region: 'eu' })).toBe(false);
    expect(matchesSelector(parseSelector('!legacy,gpu'), { gpu: '' })).toBe(true);
    expect(matchesSelector(parseSelector('!legacy,gpu'), { gpu: '', legacy: 'y' })).toBe(false);
  });
});
