import { defaultObjectPolicy, parseApplicationSpec, type ApplicationSpec } from '@flotilla/manifests';
import {
  assignedApplication,
  commitAccepted,
  groupsOf,
  nextDesiredState,
  referencesGroup,
  sameApplications,
  substituteClusterVariables,
  targetedClusters,
  targetOf,
  touchesPath,
  type AssignedApplication,
} from '.';

const spec = (targets: unknown[], extra: Record<string, unknown> = {}): ApplicationSpec =>
  parseApplicationSpec({
    apiVersion: 'flotilla.dev/v1',
    kind: 'Application',
    metadata: { name: 'web' },
    spec: { source: 'repo', path: 'apps/web', targets, ...extra },
  }).spec;

const groups = [
  { name: 'prod', selector: { matchLabels: { env: 'prod' } } },
  {
    name: 'eu',
    selector: { matchExpressions: [{ key: 'region', operator: 'In' as const, values: ['eu-1', 'eu-2'] }] },
  },
];
const clusters = [
  { clusterId: 'c1', name: 'one', labels: { env: 'prod', region: 'eu-1' } },
  { clusterId: 'c2', name: 'two', labels: { env: 'prod', region: 'us-1' } },
  { clusterId: 'c3', name: 'three', labels: { env: 'dev', region: 'eu-2' } },
];

describe('targeting', () => {
  it('finds the groups a cluster belongs to by their selectors', () => {
    expect(groupsOf(clusters[0]!.labels, groups)).toEqual(['prod', 'eu']);
    expect(groupsOf(clusters[2]!.labels, groups)).toEqual(['eu']);
    expect(groupsOf({}, groups)).toEqual([]);
  });

  it('given group and selector targets, the first matching target wins', () => {
    const s = spec([
      { group: 'eu', namespace: 'web-eu' },
      { selector: { matchLabels: { env: 'prod' } }, namespace: 'web-prod' },
    ]);
    const found = targetedClusters(s, clusters, groups).map((t) => [t.cluster.clusterId, t.index]);
    expect(found).toEqual([
      ['c1', 0],
      ['c2', 1],
      ['c3', 0],
    ]);
  });

  it('a group target follows the labels: relabelling moves a cluster in or out', () => {
    const s = spec([{ group: 'prod' }]);
    expect(targetOf(s, { labels: { env: 'dev' } }, groups)).toBeUndefined();
    expect(targetOf(s, { labels: { env: 'prod' } }, groups)?.index).toBe(0);
    expect(targetOf(s, { labels: { env: 'prod' } }, [])).toBeUndefined();
  });

  it('knows which commits touch an application path', () => {
    expect(touchesPath('apps/web', ['apps/web/deploy.yaml'])).toBe(true);
    expect(touchesPath('apps/web', ['apps/web'])).toBe(true);
    expect(touchesPath('apps/web', ['apps/webber/x.yaml', 'README.md'])).toBe(false);
    expect(touchesPath('apps/web', [], true)).toBe(true);
    expect(touchesPath('', ['anything'])).toBe(true);
    expect(touchesPath('.', [])).toBe(false);
  });

  it('knows whether an application references a group', () => {
    expect(referencesGroup(spec([{ group: 'eu' }]), 'eu')).toBe(true);
    expect(referencesGroup(spec([{ selector: { matchLabels: { a: 'b' } } }]), 'eu')).toBe(false);
  });
});

const app = (name: string, digest: string, commit = 'a'.repeat(40)): AssignedApplication => ({
  name,
  source: 'repo',
  commit,
  bundleDigest: digest,
  policy: { automated: true, prune: false, driftMode: 'detect', ignoredFields: {} },
});

describe('next desired state', () => {
  it('adds, replaces and removes applications, sorted by name', () => {
    const current = [app('web', 'sha256:1'), app('api', 'sha256:2')];
    const next = nextDesiredState(current, [
      { name: 'web', assignment: app('web', 'sha256:3') },
      { name: 'api', assignment: null },
      { name: 'db', assignment: app('db', 'sha256:4') },
    ]);
    expect(next.changed).toBe(true);
    expect(next.applications.map((a) => [a.name, a.bundleDigest])).toEqual([
      ['db', 'sha256:4'],
      ['web', 'sha256:3'],
    ]);
  });

  it('reports no change when the set is the same (no new revision)', () => {
    const current = [app('web', 'sha256:1'), app('api', 'sha256:2')];
    const next = nextDesiredState(current, [
      { name: 'web', assignment: app('web', 'sha256:1') },
      { name: 'gone', assignment: null },
    ]);
    expect(next.changed).toBe(false);
  });

  it('a commit, digest or policy change is a change', () => {
    const base = app('web', 'sha256:1');
    expect(sameApplications([base], [app('web', 'sha256:1', 'b'.repeat(40))])).toBe(false);
    expect(sameApplications([base], [{ ...base, policy: { ...base.policy, prune: true } }])).toBe(false);
    expect(sameApplications([base], [{ ...base, namespace: 'x' }])).toBe(false);
    expect(sameApplications([base, app('a', 'sha256:2')], [app('a', 'sha256:2'), base])).toBe(true);
  });

  it('builds the assignment from spec, target and cluster (namespace variables substituted)', () => {
    const s = spec([{ group: 'eu', namespace: 'web-${cluster.labels.region}' }], {
      syncPolicy: { automated: true, prune: true, ignoredFields: { 'apps/Deployment': ['/spec/replicas'] } },
    });
    const assignment = assignedApplication({
      name: 'web',
      spec: s,
      target: s.targets[0]!,
      cluster: clusters[0]!,
      commit: 'c'.repeat(40),
      bundleDigest: 'sha256:9',
      objectPolicy: defaultObjectPolicy,
    });
    expect(assignment).toEqual({
      name: 'web',
      source: 'repo',
      commit: 'c'.repeat(40),
      bundleDigest: 'sha256:9',
      namespace: 'web-eu-1',
      policy: {
        automated: true,
        prune: true,
        driftMode: 'detect',
        ignoredFields: { 'apps/Deployment': ['/spec/replicas'] },
      },
      objectPolicy: defaultObjectPolicy,
    });
  });

  it('substitutes cluster variables like the renderer, keeping $${ literal', () => {
    expect(substituteClusterVariables('${cluster.name}-$${x}', { name: 'one', labels: {} })).toBe('one-${x}');
  });

  it('accepts a commit only when every targeted cluster rendered', () => {
    expect(commitAccepted([{ ok: true }, { ok: true }])).toBe(true);
    expect(commitAccepted([{ ok: true }, { ok: false }])).toBe(false);
    expect(commitAccepted([])).toBe(true);
  });
});
