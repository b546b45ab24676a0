import { RefusedError, UsageError } from '../errors';
import { applyLabelChanges, formatLabels, parseKeyValues, parseLabelChanges } from './label-changes';

describe('label changes (kubectl syntax)', () => {
  it('reads key=value as set and key- as remove', () => {
    expect(parseLabelChanges(['env=prod', 'region-', 'tier='])).toEqual({
      set: { env: 'prod', tier: '' },
      remove: ['region'],
    });
  });

  it.each([
    [['env'], /not a label change/],
    [['=prod'], /label key is empty/],
    [['-'], /not a label change/],
    [['env=prod', 'env-'], /both set and removed/],
    [['env=prod', 'env=dev'], /twice with different values/],
    [[], /at least one label change/],
  ])('refuses %j as a usage error', (args, message) => {
    expect(() => parseLabelChanges(args)).toThrow(UsageError);
    expect(() => parseLabelChanges(args)).toThrow(message);
  });

  it('applies changes; changing an existing value needs overwrite, as in kubectl', () => {
    const current = { env: 'dev', region: 'eu' };
    const subject = 'cluster eu-1';
    expect(
      applyLabelChanges(current, parseLabelChanges(['tier=web', 'region-']), { overwrite: false, subject }),
    ).toEqual({
      env: 'dev',
      tier: 'web',
    });
    expect(() => applyLabelChanges(current, parseLabelChanges(['env=prod']), { overwrite: false, subject })).toThrow(
      new RefusedError('cluster eu-1 already has env=dev: add --overwrite to change it to env=prod'),
    );
    expect(applyLabelChanges(current, parseLabelChanges(['env=prod']), { overwrite: true, subject })).toEqual({
      env: 'prod',
      region: 'eu',
    });
    // Setting the value it already has, or removing an absent key, is not a conflict.
    expect(applyLabelChanges(current, parseLabelChanges(['env=dev', 'gone-']), { overwrite: false, subject })).toEqual(
      current,
    );
    expect(current).toEqual({ env: 'dev', region: 'eu' });
  });

  it('parses repeatable --label k=v and formats labels sorted', () => {
    expect(parseKeyValues(['env=prod', 'region=eu'], '--label')).toEqual({ env: 'prod', region: 'eu' });
    expect(() => parseKeyValues(['env'], '--label')).toThrow('--label "env": expected key=value');
    expect(formatLabels({ region: 'eu', env: 'prod' })).toBe('env=prod,region=eu');
    expect(formatLabels({})).toBe('<none>');
  });
});
