import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
} from './label-selector';

describe('label selectors', () => {
  const labels = { env: 'prod', tier: 'web', 'example.com/team': 'blue' };
  const cases: [string, boolean][] = [
    ['env=prod', true],
    ['env==prod', true],
    ['env!=prod', false],
    ['env!=dev', true],
    ['missing!=x', true],
    ['env in (prod, dev)', true],
    ['env in (dev)', false],
    ['env notin (dev)', true],
    ['missing notin (dev)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['env=prod,tier=web', true],
    ['env=prod,tier=db', false],
    ['example.com/team=blue', true],
    ['env in (prod),tier notin (db,cache)', true],
    ['', true],
  ];
  it.each(cases)('%s matches %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('parses operators and values into a LabelSelector', () => {
    expect(parseLabelSelector('a in (x,y),!b,c!=d')).toEqual({
      matchExpressions: [
        { key: 'a', operator: 'In', values: ['x', 'y'] },
        { key: 'b', operator: 'DoesNotExist' },
        { key: 'c', operator: 'NotIn', values: ['d'] },
      ],
    });
  });

  it('rejects malformed selectors with the real server message', () => {
    expect(() => parseLabelSelector('bad key!')).toThrow(
      "unable to parse requirement: found 'key', expected: '=', '!=', '==', 'in', notin'",
    );
    expect(() => parseLabelSelector('a in (x')).toThrow(SelectorParseError);
    expect(() => parseLabelSelector('Bad_Key-=x')).toThrow(SelectorParseError);
  });
});

describe('field selectors', () => {
  it('matches = and != on resolved fields', () => {
    const resolve = (f: string): string | undefined => ({ 'metadata.name': 'a', 'metadata.namespace': 'ns' })[f];
    expect(matchesFields(parseFieldSelector('metadata.name=a,metadata.namespace==ns'), resolve)).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name!=a'), resolve)).toBe(false);
  });
});
