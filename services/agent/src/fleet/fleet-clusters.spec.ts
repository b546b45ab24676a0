import { fleetClusterSpecs, parseLabels } from './fleet-clusters';
import { FleetConfigError } from './fleet.errors';

describe('fleetClusterSpecs', () => {
  test('count names the clusters <prefix>-NNN, zero-padded, with labels per index', () => {
    const specs = fleetClusterSpecs({
      count: 3,
      namePrefix: 'eu',
      labels: (i, name) => ({ shard: String(i % 2), name }),
    });
    expect(specs).toEqual([
      { name: 'eu-001', labels: { shard: '0', name: 'eu-001' } },
      { name: 'eu-002', labels: { shard: '1', name: 'eu-002' } },
      { name: 'eu-003', labels: { shard: '0', name: 'eu-003' } },
    ]);
  });

  test('the padding grows with the count so that names sort in order', () => {
    const specs = fleetClusterSpecs({ count: 1200 });
    expect(specs[0]!.name).toBe('sim-0001');
    expect(specs[1199]!.name).toBe('sim-1200');
  });

  test('shared labels are copied, never shared between clusters', () => {
    const labels = { env: 'prod' };
    const specs = fleetClusterSpecs({ count: 2, labels });
    specs[0]!.labels.env = 'changed';
    expect(specs[1]!.labels).toEqual({ env: 'prod' });
    expect(labels).toEqual({ env: 'prod' });
  });

  test('every problem of a listed fleet is reported at once', () => {
    const run = () =>
      fleetClusterSpecs([
        { name: 'eu-1', labels: {} },
        { name: 'EU_2', labels: {} },
        { name: 'eu-1', labels: {} },
      ]);
    expect(run).toThrow(FleetConfigError);
    expect(run).toThrow(/"EU_2" is not a DNS label.*"eu-1" is given twice/);
  });

  test('an empty fleet or a count below one is refused', () => {
    expect(() => fleetClusterSpecs([])).toThrow(/at least one cluster/);
    expect(() => fleetClusterSpecs({ count: 0 })).toThrow(/positive integer/);
    expect(() => fleetClusterSpecs({ count: 2.5 })).toThrow(/positive integer/);
  });
});

describe('parseLabels', () => {
  test('reads key=value pairs, trimming spaces', () => {
    expect(parseLabels(' env=prod, region = eu ,')).toEqual({ env: 'prod', region: 'eu' });
    expect(parseLabels('')).toEqual({});
  });

  test('keeps "=" inside values and allows empty values', () => {
    expect(parseLabels('a=b=c,empty=')).toEqual({ a: 'b=c', empty: '' });
  });

  test('refuses pairs without a key and repeated keys', () => {
    expect(() => parseLabels('env')).toThrow(/"env" is not key=value/);
    expect(() => parseLabels('=prod')).toThrow(/not key=value/);
    expect(() => parseLabels('env=a,env=b')).toThrow(/"env" is given twice/);
  });
});
