import { createServer, request, type Server } from 'node:http';

import { parseApplicationSpec } from '@flotilla/manifests';

import type { RenderOutcome } from './renderer.port';
import type { SourceFile } from './sandbox/scratch';
import { testRenderer } from './testing/render-harness';

const cluster = { name: 'eu-1', labels: { region: 'eu' } };
const limits = { maxBundleBytes: 900 * 1024 };

function spec(path: string, extra = '') {
  return parseApplicationSpec(`apiVersion: flotilla.dev/v1
kind: Application
metadata: { name: hostile }
spec:
  source: platform
  path: ${path}
${extra}  targets: [{ group: all, namespace: demo }]
`).spec;
}

const chart = (templates: Record<string, string>): SourceFile[] => [
  { path: 'chart/Chart.yaml', content: 'apiVersion: v2\nname: hostile\nversion: 0.0.1\n' },
  ...Object.entries(templates).map(([name, content]) => ({ path: `chart/templates/${name}`, content })),
];
const kustomization = (body: string, more: SourceFile[] = []): SourceFile[] => [
  { path: 'k/kustomization.yaml', content: body },
  { path: 'k/cm.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n' },
  ...more,
];

/** /healthz of a server on this process's event loop, timed while renders run beside it. */
async function healthzLatencies(during: Promise<unknown>): Promise<number[]> {
  const server: Server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const latencies: number[] = [];
  let done = false;
  void during.finally(() => (done = true));
  try {
    while (!done) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) =>
        request({ host: '127.0.0.1', port, path: '/healthz' }, (res) => res.resume().on('end', resolve))
          .on('error', reject)
          .end(),
      );
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return latencies;
}

describe('rendering untrusted repositories with the real tools', () => {
  const renderer = testRenderer({ timeoutMs: 8_000, maxOutputBytes: 2 * 1024 * 1024 });
  const render = (path: string, files: SourceFile[], extra = '') => {
    const s = spec(path, extra);
    return renderer.render({
      application: { name: 'hostile', spec: s },
      target: s.targets[0]!,
      cluster,
      files,
      limits,
    });
  };
  const errors = (outcome: RenderOutcome) => (outcome.ok ? [] : outcome.errors);

  it("given a template with a syntax error, when rendered, then RenderFailed carries helm's own message with the file and line", async () => {
    const outcome = await render(
      'chart',
      chart({
        'cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.a | nosuchfunction }}\n',
      }),
    );
    expect(errors(outcome)).toEqual([
      {
        code: 'helm-exit',
        file: 'chart/templates/cm.yaml',
        documentIndex: null,
        reason: 'parse error at (hostile/templates/cm.yaml:6): function "nosuchfunction" not defined',
      },
    ]);
    expect(outcome.renderer).toMatchObject({ kind: 'helm', tool: 'helm v3.17.2' });
  });

  it("given a kustomization naming a missing patch file, when rendered, then RenderFailed carries kustomize's own message", async () => {
    const outcome = await render('k', kustomization('resources: [cm.yaml]\npatches: [{ path: missing.yaml }]\n'));
    expect(errors(outcome)).toEqual([
      {
        code: 'kustomize-exit',
        file: 'k/kustomization.yaml',
        documentIndex: null,
        reason: expect.stringMatching(/missing\.yaml/),
      },
    ]);
  });

  it('given a remote base, an absolute path or a base outside the repository, when rendered, then each is refused before kustomize runs', async () => {
    const outcome = await render(
      'k',
      kustomization(
        'resources:\n  - cm.yaml\n  - https://github.com/example/repo//base?ref=main\n  - github.com/example/other/base\n  - /etc/kubernetes\n  - ../../outside\n',
      ),
    );
    expect(errors(outcome).map((e) => e.reason)).toEqual([
      'resources "https://github.com/example/repo//base?ref=main" is a remote reference: the hub renders from the commit alone, with no network',
      'resources "github.com/example/other/base" is a remote reference: the hub renders from the commit alone, with no network',
      'resources "/etc/kubernetes" is an absolute path: paths are relative to the kustomization',
      'resources "../../outside" leaves the source repository',
    ]);
  });

  it('given an exec plugin or a KRM function as a generator, when rendered, then kustomize refuses it (plugins are never enabled)', async () => {
    const plugin = {
      path: 'k/gen.yaml',
      content:
        'apiVersion: example.com/v1\nkind: Evil\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: /bin/sh\n',
    };
    const outcome = await render('k', kustomization('resources: [cm.yaml]\ngenerators: [gen.yaml]\n', [plugin]));
    expect(errors(outcome)).toEqual([
      expect.objectContaining({
        code: 'kustomize-exit',
        reason: expect.stringMatching(/plugin|function|not enabled|alpha/i),
      }),
    ]);
    const legacy = {
      path: 'k/legacy.yaml',
      content: 'apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata: { name: x }\n',
    };
    const legacyOutcome = await render(
      'k',
      kustomization('resources: [cm.yaml]\ntransformers: [legacy.yaml]\n', [legacy]),
    );
    expect(errors(legacyOutcome)).toEqual([expect.objectContaining({ code: 'kustomize-exit' })]);
  });

  it('given infinite template recursion and a 1 GB output, when rendered, then helm is stopped within its limits while /healthz answers under 200 ms', async () => {
    const recursion = render(
      'chart',
      chart({
        '_loop.tpl': '{{- define "loop" -}}{{ include "loop" . }}{{- end -}}',
        'cm.yaml': '{{ include "loop" . }}',
      }),
    );
    const huge = render(
      'chart',
      chart({
        'cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: big }\ndata:\n{{- range $i := until 10000000 }}\n  k{{ $i }}: "{{ repeat 100 "x" }}"\n{{- end }}\n',
      }),
    );
    const started = performance.now();
    const latencies = await healthzLatencies(Promise.all([recursion, huge]));
    const elapsed = performance.now() - started;
    const [r, h] = [await recursion, await huge];
    expect(errors(r)).toEqual([expect.objectContaining({ code: expect.stringMatching(/^helm-(exit|timeout)$/) })]);
    expect(errors(r)[0]!.reason).toMatch(/nested|exceeded|stopped after/);
    expect(errors(h)).toEqual([
      // helm holds its output in memory before printing it: the memory cap may stop it first.
      expect.objectContaining({ code: expect.stringMatching(/^helm-(timeout|output-too-large|memory)$/) }),
    ]);
    expect(elapsed).toBeLessThan(20_000);
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(200);
  }, 60_000);

  it('given a chart that builds a huge value in memory without printing it, when rendered, then helm is cut off at the memory limit with a clear reason', async () => {
    // 2^30 bytes (1 GiB) of doubling strings, only its length printed: the output limit never sees it.
    const limited = testRenderer({ timeoutMs: 60_000, maxMemoryBytes: 1536 * 1024 * 1024 });
    const s = spec('chart');
    const started = performance.now();
    const outcome = await limited.render({
      application: { name: 'hostile', spec: s },
      target: s.targets[0]!,
      cluster,
      files: chart({
        'cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: big }\ndata:\n' +
          '{{- $s := "xxxxxxxxxxxxxxxx" }}{{- range until 26 }}{{- $s = printf "%s%s" $s $s }}{{- end }}\n' +
          '  size: {{ len $s | quote }}\n',
      }),
      limits,
    });
    expect(errors(outcome)).toEqual([
      expect.objectContaining({
        code: 'helm-memory',
        reason: expect.stringMatching(/^stopped: it needed more than 1536 MiB of memory \(the render memory limit\)/),
      }),
    ]);
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});
