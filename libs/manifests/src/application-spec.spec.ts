import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { findTarget, parseApplicationSpec } from './application-spec';
import { InvalidApplicationSpecError, type ApplicationSpecIssue } from './errors';

const validYaml = `
apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: platform
  path: ./apps/web/
  targets:
    - group: prod-eu
      namespace: web-\${cluster.labels.region}
      patches:
        - target: { kind: Deployment, name: web }
          merge:
            spec:
              replicas: 3
        - target: { kind: ConfigMap, group: "" }
          jsonPatch:
            - { op: add, path: /data/cluster, value: "\${cluster.name}" }
    - selector:
        matchLabels: { env: staging }
        matchExpressions:
          - { key: topology.kubernetes.io/region, operator: In, values: [eu-west, eu-central] }
  syncPolicy:
    automated: true
    prune: true
    driftMode: correct
    ignoredFields:
      apps/Deployment: [/spec/replicas]
      Service: [/spec/clusterIP]
`;

function issuesOf(input: unknown): ApplicationSpecIssue[] {
  try {
    parseApplicationSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidApplicationSpecError);
    return [...(error as InvalidApplicationSpecError).issues];
  }
  throw new Error('expected the application to be refused');
}

// Each test breaks a copy of the valid document in its own way; a loose type keeps that short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function validObject(): Record<string, any> {
  return JSON.parse(JSON.stringify(parseApplicationSpec(validYaml)));
}

describe('parseApplicationSpec', () => {
  it('given the documented example, when parsed, then every field is typed and the path normalised', () => {
    const application = parseApplicationSpec(validYaml);
    expect(application.metadata.name).toBe('web');
    expect(application.spec.path).toBe('apps/web');
    expect(application.spec.targets).toHaveLength(2);
    expect(application.spec.targets[0]!.patches[0]!.merge).toEqual({ spec: { replicas: 3 } });
    expect(application.spec.targets[0]!.patches[1]!.jsonPatch).toEqual([
      { op: 'add', path: '/data/cluster', value: '${cluster.name}' },
    ]);
    expect(application.spec.targets[1]!.patches).toEqual([]);
    expect(application.spec.syncPolicy).toEqual({
      automated: true,
      prune: true,
      driftMode: 'correct',
      ignoredFields: { 'apps/Deployment': ['/spec/replicas'], Service: ['/spec/clusterIP'] },
    });
  });

  it('given the example in APPLICATION.md, when parsed, then it is valid (the documentation cannot rot)', () => {
    const markdown = readFileSync(join(__dirname, '..', 'APPLICATION.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1];
    expect(example).toBeDefined();
    const application = parseApplicationSpec(example!);
    expect(application.spec.targets.map((target) => target.group ?? 'selector')).toEqual(['prod-eu', 'selector']);
  });

  it('given no syncPolicy, when parsed, then the safe defaults apply: manual, no prune, detect only', () => {
    const input = validObject();
    delete input.spec.syncPolicy;
    expect(parseApplicationSpec(input).spec.syncPolicy).toEqual({
      automated: false,
      prune: false,
      driftMode: 'detect',
      ignoredFields: {},
    });
  });

  it('given an object (a REST body), when parsed, then it is validated like a file', () => {
    expect(parseApplicationSpec(validObject()).spec.source).toBe('platform');
  });

  it('given a pinned commit, when parsed, then full ids are accepted and abbreviations refused', () => {
    const input = validObject();
    input.spec.pinnedCommit = 'a'.repeat(40);
    expect(parseApplicationSpec(input).spec.pinnedCommit).toBe('a'.repeat(40));
    input.spec.pinnedCommit = 'abc1234';
    expect(issuesOf(input)).toEqual([
      { path: 'spec.pinnedCommit', message: expect.stringMatching(/full lowercase commit id/) },
    ]);
  });

  it('given unknown fields at several depths, when parsed, then each is refused with its path', () => {
    const input = validObject();
    input.spec.syncPolicy.prunne = true;
    input.spec.targets[0].patches[0].target.namespace = 'x';
    input.metadata.labels = {};
    expect(issuesOf(input)).toEqual(
      expect.arrayContaining([
        { path: 'spec.syncPolicy.prunne', message: 'unknown field' },
        { path: 'spec.targets[0].patches[0].target.namespace', message: 'unknown field' },
        { path: 'metadata.labels', message: 'unknown field' },
      ]),
    );
  });

  it('given missing required fields and wrong types, when parsed, then all problems are listed at once', () => {
    const input = validObject();
    delete input.spec.source;
    input.spec.syncPolicy.driftMode = 'fix';
    input.spec.syncPolicy.automated = 'yes please';
    input.apiVersion = 'flotilla.dev/v2';
    const issues = issuesOf(input);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'spec.source', message: 'is required' },
        { path: 'spec.syncPolicy.driftMode', message: expect.stringMatching(/detect|correct/) },
        { path: 'spec.syncPolicy.automated', message: expect.stringMatching(/boolean/) },
        { path: 'apiVersion', message: 'must be flotilla.dev/v1' },
      ]),
    );
  });

  it('given a target with both group and selector, or neither, when parsed, then it is refused', () => {
    const input = validObject();
    input.spec.targets[0].selector = { matchLabels: { a: 'b' } };
    delete input.spec.targets[1].selector;
    expect(issuesOf(input)).toEqual([
      { path: 'spec.targets[0]', message: 'a target has exactly one of group or selector' },
      { path: 'spec.targets[1]', message: 'a target has exactly one of group or selector' },
    ]);
  });

  it('given a patch with both merge and jsonPatch, when parsed, then it is refused', () => {
    const input = validObject();
    input.spec.targets[0].patches[0].jsonPatch = [{ op: 'remove', path: '/spec' }];
    expect(issuesOf(input)).toEqual([
      { path: 'spec.targets[0].patches[0]', message: 'a patch has exactly one of merge or jsonPatch' },
    ]);
  });

  it('given malformed JSON patch operations, when parsed, then each names its field', () => {
    const input = validObject();
    input.spec.targets[0].patches[1].jsonPatch = [
      { op: 'upsert', path: '/a' },
      { op: 'add', path: 'no-slash', value: 1 },
      { op: 'move', path: '/a' },
    ];
    expect(issuesOf(input)).toEqual([
      {
        path: 'spec.targets[0].patches[1].jsonPatch[0].op',
        message: expect.stringMatching(/add, remove, replace, move, copy, test/),
      },
      { path: 'spec.targets[0].patches[1].jsonPatch[1].path', message: expect.stringMatching(/JSON pointer/) },
      { path: 'spec.targets[0].patches[1].jsonPatch[2].from', message: 'is required' },
    ]);
  });

  it('given unknown variables in patches or the namespace, when parsed, then they are refused before any render', () => {
    const input = validObject();
    input.spec.targets[0].namespace = '${cluster.region}';
    input.spec.targets[0].patches[0].merge = { metadata: { labels: { zone: '${zone}' } } };
    expect(issuesOf(input)).toEqual([
      { path: 'spec.targets[0].namespace', message: expect.stringMatching(/unknown variable \$\{cluster.region\}/) },
      {
        path: 'spec.targets[0].patches[0].merge.metadata.labels.zone',
        message: expect.stringMatching(/unknown variable \$\{zone\}/),
      },
    ]);
  });

  it('given bad names, selector operators, ignored-field keys and pointers, when parsed, then each is refused', () => {
    const input = validObject();
    input.metadata.name = 'Web_App';
    input.spec.targets[1].selector.matchExpressions = [
      { key: 'env', operator: 'In' },
      { key: 'env', operator: 'Exists', values: ['x'] },
    ];
    input.spec.syncPolicy.ignoredFields = { deployment: ['/spec'], 'apps/Deployment': ['spec/replicas', ''] };
    expect(issuesOf(input)).toEqual(
      expect.arrayContaining([
        { path: 'metadata.name', message: expect.stringMatching(/lowercase/) },
        {
          path: 'spec.targets[1].selector.matchExpressions[0].values',
          message: 'operator In needs at least one value',
        },
        { path: 'spec.targets[1].selector.matchExpressions[1].values', message: 'operator Exists takes no values' },
        { path: 'spec.syncPolicy.ignoredFields.deployment', message: expect.stringMatching(/<group>\/<Kind>/) },
        { path: 'spec.syncPolicy.ignoredFields["apps/Deployment"][0]', message: expect.stringMatching(/JSON pointer/) },
        { path: 'spec.syncPolicy.ignoredFields["apps/Deployment"][1]', message: 'cannot ignore the whole object' },
      ]),
    );
  });

  it('given paths escaping the source, when parsed, then they are refused', () => {
    for (const path of ['../other', 'apps/../../x', '/etc', 'a//b']) {
      const input = validObject();
      input.spec.path = path;
      expect(issuesOf(input)).toEqual([{ path: 'spec.path', message: expect.stringMatching(/relative/) }]);
    }
    const root = validObject();
    root.spec.path = '.';
    expect(parseApplicationSpec(root).spec.path).toBe('');
  });

  it('given no targets, when parsed, then it is refused', () => {
    const input = validObject();
    input.spec.targets = [];
    expect(issuesOf(input)).toEqual([{ path: 'spec.targets', message: 'must name at least one target' }]);
  });

  it('given invalid YAML, duplicate keys or two documents, when parsed, then the whole file is refused', () => {
    expect(issuesOf('apiVersion: [unclosed')[0]!.message).toMatch(/invalid YAML/);
    expect(issuesOf('a: 1\na: 2\n')[0]!.message).toMatch(/invalid YAML.*unique/i);
    expect(issuesOf(`${validYaml}\n---\n${validYaml}`)).toEqual([
      { path: '', message: 'an application file holds exactly one document, found 2' },
    ]);
    expect(issuesOf('')).toEqual([{ path: '', message: 'an application file holds exactly one document, found 0' }]);
  });

  it('given a refusal, then the error message lists every issue for a human', () => {
    const input = validObject();
    input.spec.source = 'Bad Source';
    input.spec.extra = 1;
    expect(() => parseApplicationSpec(input)).toThrow(/spec\.source: .*; spec\.extra: unknown field/);
  });
});

describe('findTarget', () => {
  const { spec } = parseApplicationSpec(validYaml);

  it('given a cluster in the group, when matched, then the first target applies', () => {
    expect(findTarget(spec, { labels: { env: 'staging' }, groups: ['prod-eu'] })?.index).toBe(0);
  });

  it('given a cluster matching only the selector, when matched, then the second target applies', () => {
    const cluster = { labels: { env: 'staging', 'topology.kubernetes.io/region': 'eu-west' }, groups: [] };
    expect(findTarget(spec, cluster)?.index).toBe(1);
  });

  it('given a cluster matching no target, when matched, then there is none', () => {
    expect(
      findTarget(spec, { labels: { env: 'staging', 'topology.kubernetes.io/region': 'us-east' }, groups: [] }),
    ).toBeUndefined();
  });

  describe('renderer settings', () => {
    const base = `apiVersion: flotilla.dev/v1
kind: Application
metadata: { name: web }
spec:
  source: platform
  path: charts/web
`;
    it('given helm values with cluster variables, an overlay and directory rules, when parsed, then they are kept with defaults', () => {
      const app = parseApplicationSpec(`${base}  renderer: helm
  helm: { valuesFiles: [values-prod.yaml], values: { region: '\${cluster.labels.region}' } }
  targets:
    - group: prod
      overlay: ./overlays/prod/
      helm: { releaseName: web-eu, valuesFiles: [values-eu.yaml] }
`);
      expect(app.spec.helm).toEqual({
        valuesFiles: ['values-prod.yaml'],
        values: { region: '${cluster.labels.region}' },
      });
      expect(app.spec.targets[0]!.overlay).toBe('overlays/prod');
      expect(app.spec.targets[0]!.helm).toEqual({ releaseName: 'web-eu', valuesFiles: ['values-eu.yaml'] });
    });

    it('given a chart in an OCI registry, when parsed, then oci://host/path is taken and one with credentials or a query is refused', () => {
      const chart = (repository: string) =>
        parseApplicationSpec(`${base}  chart: { repository: '${repository}', name: greeter, version: 0.4.1 }
  targets: [{ group: prod }]
`).spec.chart;
      expect(chart('oci://registry.example:5000/charts')).toEqual({
        repository: 'oci://registry.example:5000/charts',
        name: 'greeter',
        version: '0.4.1',
      });
      for (const bad of [
        'oci://user:secret@registry.example/charts',
        'oci://registry.example/charts?x=1',
        'oci:///charts',
      ])
        expect(() => chart(bad)).toThrow(
          expect.objectContaining({ issues: [expect.objectContaining({ path: 'spec.chart.repository' })] }),
        );
    });

    it('given a values file or overlay leaving the source, a bad variable, or directory rules on a chart, when parsed, then each is refused', () => {
      expect(() =>
        parseApplicationSpec(`${base}  helm: { valuesFiles: [../secrets.yaml], values: { a: '\${HOME}' } }
  directory: { recursive: false }
  chart: { repository: 'file:///etc', name: web, version: latest }
  targets: [{ group: prod, overlay: /etc }]
`),
      ).toThrow(
        expect.objectContaining({
          issues: expect.arrayContaining([
            expect.objectContaining({ path: 'spec.helm.valuesFiles[0]' }),
            expect.objectContaining({ path: 'spec.helm.values.a' }),
            expect.objectContaining({ path: 'spec.chart.repository' }),
            expect.objectContaining({ path: 'spec.chart.version' }),
            expect.objectContaining({ path: 'spec.targets[0].overlay' }),
            expect.objectContaining({ path: 'spec.directory' }),
          ]),
        }),
      );
    });
  });
});
