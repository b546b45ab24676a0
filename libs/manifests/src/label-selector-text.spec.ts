import { matchesLabelSelector } from './label-selector';
import { formatLabelSelector, InvalidLabelSelectorTextError, parseLabelSelectorText } from './label-selector-text';
import { ManifestsError } from './errors';

describe('label selector text (kubectl syntax)', () => {
  it('reads equality, set-based and existence requirements', () => {
    expect(parseLabelSelectorText('env=prod, region in (eu, us),tier!=db,!legacy,gpu,zone notin (a)')).toEqual({
      matchLabels: { env: 'prod' },
      matchExpressions: [
        { key: 'region', operator: 'In', values: ['eu', 'us'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'gpu', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ],
    });
    expect(parseLabelSelectorText('env==prod,example.com/team=')).toEqual({
      matchLabels: { env: 'prod', 'example.com/team': '' },
    });
    expect(parseLabelSelectorText('  ')).toEqual({});
    expect(parseLabelSelectorText('env=prod,env=prod')).toEqual({ matchLabels: { env: 'prod' } });
  });

  it.each([
    ['env=prod,', /trailing ","/, 8],
    ['region in eu', /expected "\(" after "region in"/, 10],
    ['region in (eu', /expected "," or "\)"/, 13],
    ['region in ()', /expected a value in "region in \(...\)" before "\)"/, 11],
    ['env=prod env=dev', /expected "," before "env"/, 9],
    ['env=a,env=b', /cannot equal two values/, 6],
    ['(x)', /expected a label key before "\("/, 0],
    ['!', /expected a label key after "!" at the end/, 1],
    ['env (a)', /unexpected "\(" after "env"/, 4],
  ])('refuses %s naming the problem and where it is', (text, message, position) => {
    const error = (() => {
      try {
        parseLabelSelectorText(text);
      } catch (e) {
        return e;
      }
      throw new Error(`"${text}" was accepted`);
    })();
    expect(error).toBeInstanceOf(InvalidLabelSelectorTextError);
    expect(error).toBeInstanceOf(ManifestsError);
    expect((error as InvalidLabelSelectorTextError).message).toMatch(message);
    expect((error as InvalidLabelSelectorTextError).problem).toMatch(message);
    expect(error).toMatchObject({ name: 'InvalidLabelSelectorTextError', text, position });
    expect((error as Error).message).toContain(`at character ${position + 1}`);
  });

  it('writes a selector back in the same syntax', () => {
    const text = 'env=prod,region in (eu,us),tier notin (db),gpu,!legacy';
    expect(formatLabelSelector(parseLabelSelectorText(text))).toBe(text);
    expect(formatLabelSelector(parseLabelSelectorText('tier!=db'))).toBe('tier notin (db)');
    expect(formatLabelSelector({})).toBe('');
    expect(parseLabelSelectorText(formatLabelSelector({}))).toEqual({});
  });

  it('matches as Kubernetes does (NotIn also matches a missing key)', () => {
    const selector = parseLabelSelectorText('env=prod,region in (eu,us),tier!=db');
    expect(matchesLabelSelector(selector, { env: 'prod', region: 'eu' })).toBe(true);
    expect(matchesLabelSelector(selector, { env: 'prod', region: 'eu', tier: 'db' })).toBe(false);
    expect(matchesLabelSelector(selector, { env: 'prod', region: 'ap' })).toBe(false);
    expect(matchesLabelSelector(selector, { region: 'eu' })).toBe(false);
    expect(matchesLabelSelector(parseLabelSelectorText('!legacy,gpu'), { gpu: '' })).toBe(true);
    expect(matchesLabelSelector(parseLabelSelectorText('!legacy,gpu'), { gpu: '', legacy: 'y' })).toBe(false);
  });
});
