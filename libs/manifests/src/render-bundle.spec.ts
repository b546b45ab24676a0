import { createHash } from 'node:crypto';

import { parseApplicationSpec } from './application-spec';
import {
  bundleDigest,
  InvalidRenderInputError,
  renderBundle,
  type RenderInput,
  type RenderResult,
} from './render-bundle';

const cluster = { name: 'eu-1', labels: { region: 'eu-west' } };
const limits = { maxBundleBytes: 1_000_000 };

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;
const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{ port: 80 }]
`;

function render(files: Record<string, string>, overrides: Partial<RenderInput> = {}): RenderResult {
  return renderBundle({
    files: new Map(Object.entries(files)),
    path: 'app',
    target: {},
    cluster,
    limits,
    ...overrides,
  });
}

function bundleOf(result: RenderResult) {
  if (!result.ok) throw new Error(`expected a bundle, got ${JSON.stringify(result.errors, null, 2)}`);
  return result.bundle;
}

function errorsOf(result: RenderResult) {
  if (result.ok) throw new Error('expected the render to fail');
  return result.errors;
}

describe('renderBundle', () => {
  describe('reading files', () => {
    it('given nested .yaml/.yml/.json files, other files and files outside the path, when rendered, then only manifests under the path count', () => {
      const bundle = bundleOf(
        render({
          'app/web/deployment.yaml': deployment,
          'app/web/service.yml': service,
          'app/config.json': JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'cfg' },
            data: { a: 'b' },
          }),
          'app/README.md': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: readme}\n',
          'app/values.yaml.bak': 'not: [yaml',
          'application/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n',
          'other/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n',
        }),
      );
      expect(bundle.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
        'ConfigMap/cfg',
        'Service/web',
        'Deployment/web',
      ]);
    });

    it('given multi-document files with empty documents and comments, when rendered, then empty documents are skipped', () => {
      const bundle = bundleOf(
        render({ 'app/all.yaml': `---\n# only a comment\n---\n${deployment}---\n---\n${service}---\n` }),
      );
      expect(bundle.objects).toHaveLength(2);
    });

    it('given path "." or "", when rendered, then the whole source is read', () => {
      for (const path of ['.', '', './']) {
        expect(bundleOf(render({ 'a.yaml': deployment, 'b/c.yaml': service }, { path })).objects).toHaveLength(2);
      }
    });

    it('given YAML that Kubernetes reads as YAML 1.1, when rendered, then on/yes are booleans and dates stay strings', () => {
      const bundle = bundleOf(
        render({
          'app/cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nflags: {a: on, b: yes, c: "on"}\ndata: {since: 2024-01-02, t: 1:30}\n',
        }),
      );
      expect(bundle.objects[0]).toMatchObject({
        flags: { a: true, b: true, c: 'on' },
        data: { since: '2024-01-02', t: '1:30' },
      });
    });
  });

  describe('the digest', () => {
    const files = {
      'app/a.yaml': deployment,
      'app/b.yaml': service,
      'app/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: web}\ndata: {key: value}\n',
    };

    it('given a render, then the digest is sha256 over the canonical JSON of the sorted objects and sizeBytes is its length', () => {
      const bundle = bundleOf(
        render({ 'app/cm.yaml': 'kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\ndata: {b: "2", a: "é"}\n' }),
      );
      const canonical = '[{"apiVersion":"v1","data":{"a":"é","b":"2"},"kind":"ConfigMap","metadata":{"name":"c"}}]';
      expect(bundle.digest).toBe(`sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`);
      expect(bundle.sizeBytes).toBe(Buffer.byteLength(canonical));
    });

    it('given the same objects in another file order, split, key order and input form, when rendered, then the digest is the same', () => {
      const first = bundleOf(render(files));
      const reordered = bundleOf(
        renderBundle({
          files: [
            { path: 'app/z/everything.yml', content: `${files['app/c.yaml']}---\n${service}` },
            {
              path: 'app/0.json',
              content: JSON.stringify({
                spec: { template: { spec: { containers: [{ image: 'nginx:1.27', name: 'web' }] } }, replicas: 1 },
                metadata: { name: 'web' },
                kind: 'Deployment',
                apiVersion: 'apps/v1',
              }),
            },
          ],
          path: 'app',
          target: {},
          cluster,
          limits,
        }),
      );
      expect(reordered.digest).toBe(first.digest);
      expect(reordered.objects).toEqual(first.objects);
    });

    it('given one changed value, when rendered, then the digest differs', () => {
      const first = bundleOf(render(files));
      const changed = bundleOf(render({ ...files, 'app/a.yaml': deployment.replace('replicas: 1', 'replicas: 2') }));
      expect(changed.digest).not.toBe(first.digest);
    });

    it('given the same application for two clusters whose variables differ, then the digests differ; with the same values, they match', () => {
      const withVariable = {
        'app/cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {region: "${cluster.labels.region}"}\n',
      };
      const eu = bundleOf(render(withVariable));
      const us = bundleOf(render(withVariable, { cluster: { name: 'us-1', labels: { region: 'us-east' } } }));
      const euAgain = bundleOf(render(withVariable, { cluster: { name: 'eu-2', labels: { region: 'eu-west' } } }));
      expect(us.digest).not.toBe(eu.digest);
      expect(euAgain.digest).toBe(eu.digest);
    });

    it('given bundle objects in any order, when bundleDigest recomputes it (as an agent verifies), then it matches', () => {
      const bundle = bundleOf(render(files));
      expect(bundleDigest([...bundle.objects].reverse())).toBe(bundle.digest);
    });

    it('given the objects, then they are sorted by API group, kind, namespace, name', () => {
      const bundle = bundleOf(
        render({
          'app/x.yaml': [
            'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: a}\n',
            'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: b}\n',
            'apiVersion: v1\nkind: Service\nmetadata: {name: z}\n',
            'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: z}\n',
            'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: a}\n',
          ].join('---\n'),
        }),
      );
      expect(
        bundle.objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`),
      ).toEqual([
        'v1/ConfigMap//z',
        'v1/Service//z',
        'apps/v1/Deployment/a/a',
        'apps/v1/Deployment/a/b',
        'apps/v1/Deployment/b/a',
      ]);
    });
  });

  describe('variables', () => {
    it('given variables in string values, when rendered, then they are substituted and $${...} is kept literal', () => {
      const bundle = bundleOf(
        render({
          'app/cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "cfg-${cluster.name}"}\ndata: {region: "${cluster.labels.region}", script: "echo $${HOME}"}\n',
        }),
      );
      expect(bundle.objects[0]).toMatchObject({
        metadata: { name: 'cfg-eu-1' },
        data: { region: 'eu-west', script: 'echo ${HOME}' },
      });
    });

    it('given an unknown label in one document, when rendered, then the error names the file and document index', () => {
      const errors = errorsOf(
        render({
          'app/x.yaml': `${service}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {zone: "\${cluster.labels.missing}"}\n`,
        }),
      );
      expect(errors).toEqual([
        {
          code: 'unknown-variable',
          file: 'app/x.yaml',
          documentIndex: 1,
          reason: expect.stringMatching(/\$\{cluster.labels.missing\}.*no label "missing"/),
        },
      ]);
    });
  });

  describe('target namespace', () => {
    const files = {
      'app/x.yaml': [
        deployment,
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n',
        'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com, scope: Cluster, names: {kind: Widget, plural: widgets}}\n',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
        'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n',
        'apiVersion: other.io/v1\nkind: Global\nmetadata: {name: g}\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: explicit, namespace: kept}\n',
      ].join('---\n'),
    };

    it('given a target namespace, when rendered, then namespaced objects without one get it, cluster-scoped and explicit ones do not', () => {
      const bundle = bundleOf(
        render(files, { target: { namespace: 'team-${cluster.name}' }, clusterScopedKinds: ['other.io/Global'] }),
      );
      const namespaces = Object.fromEntries(
        bundle.objects.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.namespace]),
      );
      expect(namespaces).toEqual({
        'Deployment/web': 'team-eu-1',
        'Namespace/web': undefined,
        'ClusterRole/reader': undefined,
        'CustomResourceDefinition/widgets.example.com': undefined,
        'Widget/w': undefined,
        'Gadget/g': 'team-eu-1',
        'Global/g': undefined,
        'ConfigMap/explicit': 'kept',
      });
    });

    it('given a target namespace that renders to an invalid name, when rendered, then it is an error', () => {
      const errors = errorsOf(
        render(
          { 'app/a.yaml': deployment },
          { cluster: { name: 'c', labels: { region: 'EU_West' } }, target: { namespace: '${cluster.labels.region}' } },
        ),
      );
      expect(errors).toEqual([
        { code: 'invalid-namespace', file: null, documentIndex: null, reason: expect.stringMatching(/EU_West/) },
      ]);
    });
  });

  describe('patches', () => {
    const { spec } = parseApplicationSpec(`
apiVersion: flotilla.dev/v1
kind: Application
metadata: {name: web}
spec:
  source: platform
  path: app
  targets:
    - group: prod
      namespace: web
      patches:
        - target: {kind: Deployment, name: web}
          merge: {spec: {replicas: 3}, metadata: {labels: {region: "\${cluster.labels.region}"}}}
        - target: {kind: Deployment, group: apps}
          jsonPatch:
            - {op: test, path: /spec/template/spec/containers/0/name, value: web}
            - {op: replace, path: /spec/template/spec/containers/0/image, value: "nginx:1.28"}
            - {op: add, path: /spec/template/spec/containers/0/env, value: [{name: CLUSTER, value: "\${cluster.name}"}]}
`);
    const target = spec.targets[0]!;

    it('given merge and JSON patches selected by kind, name and group, when rendered, then both apply in order with variables', () => {
      const bundle = bundleOf(render({ 'app/a.yaml': deployment, 'app/b.yaml': service }, { target }));
      const web = bundle.objects.find((o) => o.kind === 'Deployment')!;
      expect(web).toMatchObject({
        metadata: { name: 'web', namespace: 'web', labels: { region: 'eu-west' } },
        spec: {
          replicas: 3,
          template: {
            spec: { containers: [{ name: 'web', image: 'nginx:1.28', env: [{ name: 'CLUSTER', value: 'eu-1' }] }] },
          },
        },
      });
      expect(bundle.objects.find((o) => o.kind === 'Service')!.spec).toEqual({ ports: [{ port: 80 }] });
    });

    it('given a render, then the application spec it used is left unmodified', () => {
      const before = JSON.stringify(target);
      bundleOf(render({ 'app/a.yaml': deployment }, { target }));
      bundleOf(render({ 'app/a.yaml': deployment }, { target }));
      expect(JSON.stringify(target)).toBe(before);
    });

    it('given a JSON patch whose test fails or whose remove misses, when rendered, then the error names the object file, document and patch', () => {
      const errors = errorsOf(
        render(
          { 'app/a.yaml': `${service}---\n${deployment}` },
          {
            target: {
              patches: [
                { target: { kind: 'Deployment' }, jsonPatch: [{ op: 'test', path: '/spec/replicas', value: 5 }] },
                { target: { kind: 'Service' }, jsonPatch: [{ op: 'remove', path: '/spec/selector' }] },
              ],
            },
          },
        ),
      );
      expect(errors).toEqual([
        {
          code: 'patch-failed',
          file: 'app/a.yaml',
          documentIndex: 1,
          patchIndex: 0,
          reason: expect.stringMatching(/patch 0 \(Deployment\) does not apply to apps\/Deployment web: .*expected 5/),
        },
        {
          code: 'patch-failed',
          file: 'app/a.yaml',
          documentIndex: 0,
          patchIndex: 1,
          reason: expect.stringMatching(/path does not exist/),
        },
      ]);
    });

    it('given a patch selecting nothing (wrong name or group), when rendered, then it is an error, not a silent no-op', () => {
      const errors = errorsOf(
        render(
          { 'app/a.yaml': deployment },
          {
            target: {
              patches: [
                { target: { kind: 'Deployment', name: 'api' }, merge: { spec: { replicas: 2 } } },
                { target: { kind: 'Deployment', group: '' }, merge: {} },
              ],
            },
          },
        ),
      );
      expect(errors).toEqual([
        {
          code: 'patch-selected-nothing',
          file: null,
          documentIndex: null,
          patchIndex: 0,
          reason: 'patch 0 (Deployment api) selects no object',
        },
        {
          code: 'patch-selected-nothing',
          file: null,
          documentIndex: null,
          patchIndex: 1,
          reason: 'patch 1 (Deployment) selects no object',
        },
      ]);
    });

    it('given a patch value with an unknown label, when rendered, then the error names the patch', () => {
      const errors = errorsOf(
        render(
          { 'app/a.yaml': deployment },
          {
            target: {
              patches: [
                { target: { kind: 'Deployment' }, merge: { metadata: { labels: { z: '${cluster.labels.zone}' } } } },
              ],
            },
          },
        ),
      );
      expect(errors).toEqual([
        {
          code: 'unknown-variable',
          file: null,
          documentIndex: null,
          patchIndex: 0,
          reason: expect.stringMatching(/patch 0.*cluster.labels.zone/),
        },
      ]);
    });

    it('given a patch that removes the name, when rendered, then the object is invalid after that patch', () => {
      const errors = errorsOf(
        render(
          { 'app/a.yaml': deployment },
          { target: { patches: [{ target: { kind: 'Deployment' }, merge: { metadata: { name: null } } }] } },
        ),
      );
      expect(errors).toEqual([
        {
          code: 'invalid-object',
          file: 'app/a.yaml',
          documentIndex: 0,
          patchIndex: 0,
          reason: expect.stringMatching(/after patch 0.*metadata.name/),
        },
      ]);
    });
  });

  describe('bad input never half-applies', () => {
    it('given invalid YAML, invalid JSON, objects without identity and non-mapping documents, when rendered, then every error is reported', () => {
      const errors = errorsOf(
        render({
          'app/a.yaml': `${service}---\nkind: ConfigMap\nmetadata: {name: no-version}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n---\n- just\n- a list\n---\nkey: [unclosed\n`,
          'app/b.json': '{"apiVersion": "v1",',
          'app/c.yml': 'a: 1\na: 2\n',
          'app/d.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: !!binary aGVsbG8=\n',
        }),
      );
      expect(errors).toEqual([
        {
          code: 'invalid-object',
          file: 'app/a.yaml',
          documentIndex: 1,
          reason: 'missing or not a non-empty string: apiVersion',
        },
        {
          code: 'invalid-object',
          file: 'app/a.yaml',
          documentIndex: 2,
          reason: 'missing or not a non-empty string: metadata.name',
        },
        {
          code: 'invalid-object',
          file: 'app/a.yaml',
          documentIndex: 3,
          reason: 'a manifest must be a mapping, found a list',
        },
        { code: 'invalid-yaml', file: 'app/a.yaml', documentIndex: 4, reason: expect.any(String) },
        { code: 'invalid-yaml', file: 'app/b.json', documentIndex: 0, reason: expect.stringMatching(/invalid JSON/) },
        { code: 'invalid-yaml', file: 'app/c.yml', documentIndex: 0, reason: expect.stringMatching(/unique/i) },
        {
          code: 'invalid-yaml',
          file: 'app/d.yaml',
          documentIndex: 0,
          reason: expect.stringMatching(/not plain JSON data: \/data is binary data/),
        },
      ]);
    });

    it('given the same object twice (once only after the target namespace is applied), when rendered, then the second is a duplicate', () => {
      const errors = errorsOf(
        render(
          {
            'app/a.yaml': deployment,
            'app/b.yaml': deployment.replace('name: web', 'name: web\n  namespace: prod'),
            'app/c.yaml': deployment.replace('apps/v1', 'apps/v1beta2'),
          },
          { target: { namespace: 'prod' } },
        ),
      );
      expect(errors).toEqual([
        {
          code: 'duplicate-object',
          file: 'app/b.yaml',
          documentIndex: 0,
          reason: 'apps/Deployment prod/web is also defined in app/a.yaml document 0',
        },
        {
          code: 'duplicate-object',
          file: 'app/c.yaml',
          documentIndex: 0,
          reason: 'apps/Deployment prod/web is also defined in app/a.yaml document 0',
        },
      ]);
    });

    it('given the same object in two namespaces, when rendered, then they are distinct', () => {
      const bundle = bundleOf(
        render({
          'app/a.yaml': deployment.replace('name: web', 'name: web\n  namespace: a'),
          'app/b.yaml': deployment.replace('name: web', 'name: web\n  namespace: b'),
        }),
      );
      expect(bundle.objects).toHaveLength(2);
    });

    it('given a bundle over the size limit, when rendered, then it fails naming the largest objects', () => {
      const big = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {blob: "${'x'.repeat(5000)}"}\n`;
      const errors = errorsOf(
        render({ 'app/a.yaml': deployment, 'app/big.yaml': big }, { limits: { maxBundleBytes: 4096 } }),
      );
      expect(errors).toEqual([
        {
          code: 'bundle-too-large',
          file: null,
          documentIndex: null,
          reason: expect.stringMatching(
            /^the bundle is \d+ bytes, above the limit of 4096; largest: ConfigMap big in app\/big.yaml/,
          ),
        },
      ]);
    });

    it('given a bundle exactly at the limit, when rendered, then it passes', () => {
      const size = bundleOf(render({ 'app/a.yaml': deployment })).sizeBytes;
      expect(render({ 'app/a.yaml': deployment }, { limits: { maxBundleBytes: size } }).ok).toBe(true);
      expect(render({ 'app/a.yaml': deployment }, { limits: { maxBundleBytes: size - 1 } }).ok).toBe(false);
    });

    it('given no manifests under the path, when rendered, then it fails rather than ship an empty bundle', () => {
      expect(errorsOf(render({ 'app/README.md': '# nothing', 'other/a.yaml': deployment }))).toEqual([
        {
          code: 'no-objects',
          file: null,
          documentIndex: null,
          reason: expect.stringMatching(/no manifests under app/),
        },
      ]);
    });

    it('given an empty file or one holding only comments and separators, when rendered, then it is reported, not skipped', () => {
      expect(
        errorsOf(render({ 'app/a.yaml': deployment, 'app/empty.yaml': '', 'app/dashes.yml': '# gone\n---\n' })),
      ).toEqual([
        {
          code: 'empty-file',
          file: 'app/dashes.yml',
          documentIndex: null,
          reason: expect.stringMatching(/holds no Kubernetes object/),
        },
        {
          code: 'empty-file',
          file: 'app/empty.yaml',
          documentIndex: null,
          reason: expect.stringMatching(/spec.directory.exclude/),
        },
      ]);
    });

    it('given a tool config file and a values.yaml next to manifests, when rendered, then each is a clear error naming the rule that would exclude it', () => {
      const errors = errorsOf(
        render({
          'app/a.yaml': deployment,
          'app/.prettierrc.yaml': 'printWidth: 120\n',
          'app/values.yaml': 'replicas: 2\n',
        }),
      );
      expect(errors.map((e) => [e.code, e.file, e.documentIndex])).toEqual([
        ['not-a-manifest', 'app/.prettierrc.yaml', 0],
        ['not-a-manifest', 'app/values.yaml', 0],
      ]);
      expect(errors[0]!.reason).toMatch(/not a Kubernetes object.*spec\.directory\.exclude/);
      expect(errors[1]!.reason).toMatch(/Helm chart file/);
    });

    it('given directory rules, when rendered, then recursion, include and exclude globs choose the files', () => {
      const files = {
        'app/a.yaml': deployment,
        'app/nested/svc.yaml': service,
        'app/.prettierrc.yaml': 'printWidth: 120\n',
        'app/svc.manifest': service.replace('name: web', 'name: other'),
      };
      const names = (result: RenderResult) => bundleOf(result).objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(names(render(files, { directory: { exclude: ['.prettierrc.yaml'] } }))).toEqual([
        'Service/web',
        'Deployment/web',
      ]);
      expect(names(render(files, { directory: { recursive: false, exclude: ['.*'] } }))).toEqual(['Deployment/web']);
      expect(names(render(files, { directory: { include: ['**/*.manifest', 'a.yaml'] } }))).toEqual([
        'Service/other',
        'Deployment/web',
      ]);
      expect(names(render(files, { directory: { include: ['**/*.yaml'], exclude: ['**/.*', 'nested/**'] } }))).toEqual([
        'Deployment/web',
      ]);
    });

    it('given the same file path twice in an array, when rendered, then it is an error', () => {
      const result = renderBundle({
        files: [
          { path: 'app/a.yaml', content: deployment },
          { path: './app/a.yaml', content: service },
        ],
        path: 'app',
        target: {},
        cluster,
        limits,
      });
      expect(errorsOf(result)).toEqual([
        { code: 'duplicate-file', file: 'app/a.yaml', documentIndex: null, reason: 'file app/a.yaml was given twice' },
      ]);
    });

    it('given a limit that is not a positive integer, when rendered, then the caller bug is thrown', () => {
      expect(() => render({ 'app/a.yaml': deployment }, { limits: { maxBundleBytes: 0 } })).toThrow(
        InvalidRenderInputError,
      );
    });

    it('given an alias bomb or absurdly deep nesting, when rendered, then it is bad input, not a crash', () => {
      const aliases = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (const [name, previous] of [
        ['b', 'a'],
        ['c', 'b'],
        ['d', 'c'],
        ['e', 'd'],
      ])
        aliases.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
      const deepJson = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
      const errors = errorsOf(render({ 'app/bomb.yaml': aliases.join('\n'), 'app/deep.json': deepJson }));
      expect(errors).toEqual([
        { code: 'invalid-yaml', file: 'app/bomb.yaml', documentIndex: 0, reason: expect.stringMatching(/alias/i) },
        {
          code: 'invalid-yaml',
          file: 'app/deep.json',
          documentIndex: 0,
          reason: expect.stringMatching(/nested more than 256 levels/),
        },
      ]);
    });

    it('given a document with a "__proto__" key, when rendered, then it is plain data in the bundle', () => {
      const bundle = bundleOf(
        render({ 'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {__proto__: x}\n' }),
      );
      expect(Object.keys(bundle.objects[0]!.data as object)).toEqual(['__proto__']);
      expect(Object.getPrototypeOf(bundle.objects[0]!.data)).toBe(Object.prototype);
    });
  });
});
