import { UsageError } from '../errors';
import { formatSelector, parseSelector } from './selector';

// The syntax itself is tested with its parser in @flotilla/manifests (label-selector-text.spec.ts).
describe('label selector on the command line', () => {
  it('reads kubectl syntax', () => {
    expect(parseSelector('env=prod,region in (eu,us),!legacy')).toEqual({
      matchLabels: { env: 'prod' },
      matchExpressions: [
        { key: 'region', operator: 'In', values: ['eu', 'us'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
  });

  it('turns a syntax error into a usage error naming the problem and where', () => {
    expect(() => parseSelector('region in (eu')).toThrow(UsageError);
    expect(() => parseSelector('region in (eu')).toThrow(
      'selector "region in (eu": expected "," or ")" in "region in (...)" (at character 14)',
    );
  });

  it('spells out the empty selector', () => {
    expect(formatSelector({})).toBe('<every cluster>');
    expect(formatSelector(parseSelector('tier!=db,gpu'))).toBe('tier notin (db),gpu');
  });
});
