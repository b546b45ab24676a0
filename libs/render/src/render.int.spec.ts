import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';

import { parseApplicationSpec, type Application } from '@flotilla/manifests';
import { startKubeApiServer, startOciRegistry, type KubeApiServer } from '@flotilla/testing';

import { ApplicationRenderer } from './application-renderer';
import { ChartRepositoryFetcher } from './helm/chart-repository';
import type { RenderOutcome } from './renderer.port';
import type { SourceFile } from './sandbox/scratch';
import { fixturesDir, k8sTools, readTree, testRenderer } from './testing/render-harness';

/** Async: the registry answers in this process, so a synchronous child would block it. */
const execFileAsync = promisify(execFile);

const clusters: Array<{ name: string; labels: Record<string, string>; kubeVersion?: string }> = [
  { name: 'eu-1', labels: { env: 'prod', region: 'eu' }, kubeVersion: 'v1.20.2' },
  { name: 'us-1', labels: { env: 'staging', region: 'us', 'flotilla.dev/kube-version': 'v1.20.0' } },
];
const limits = { maxBundleBytes: 900 * 1024 };

function app(yaml: string): Application {
  return parseApplicationSpec(`apiVersion: flotilla.dev/v1\nkind: Application\n${yaml}`);
}

function targetFor(application: Application, cluster: (typeof clusters)[number]) {
  const target = application.spec.targets.find((t) =>
    Object.entries(t.selector?.matchLabels ?? {}).every(([k, v]) => cluster.labels[k] === v),
  );
  if (!target) throw new Error(`no target for ${cluster.name}`);
  return target;
}

describe('renderers with the real kustomize and helm, applied on the real kube-apiserver', () => {
  let kube: KubeApiServer;
  let kubectl: string;
  let renderer: ApplicationRenderer;
  const source = readTree(join(fixturesDir, 'source'));

  beforeAll(async () => {
    kubectl = k8sTools().kubectl;
    renderer = testRenderer();
    kube = await startKubeApiServer();
  }, 120_000);
  afterAll(async () => kube?.stop());

  const k = (args: string[], input?: string) =>
    execFileSync(kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args], { encoding: 'utf8', input });

  /** Renders for both clusters, applies each bundle into its own namespace and returns what each namespace holds. */
  async function renderAndApply(application: Application, files: readonly SourceFile[], prefix: string) {
    const held: Record<string, string[]> = {};
    const outcomes: Record<string, RenderOutcome> = {};
    for (const cluster of clusters) {
      const outcome = await renderer.render({
        application: { name: application.metadata.name, spec: application.spec },
        target: targetFor(application, cluster),
        cluster,
        files,
        limits,
      });
      outcomes[cluster.name] = outcome;
      if (!outcome.ok) throw new Error(`${cluster.name}: ${JSON.stringify(outcome.errors, null, 2)}`);
      const namespace = `${prefix}-${cluster.name}`;
      k(['create', 'namespace', namespace]);
      k(
        ['apply', '--server-side', '--field-manager', 'flotilla-test', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: outcome.bundle.objects }),
      );
      const listed = JSON.parse(
        k(['get', 'deployments,services,configmaps,poddisruptionbudgets,secrets', '-n', namespace, '-o', 'json']),
      ) as {
        items: Array<{ kind: string; metadata: { name: string } }>;
      };
      held[cluster.name] = listed.items
        .map((item) => `${item.kind}/${item.metadata.name}`)
        .filter((name) => name !== 'ConfigMap/kube-root-ca.crt' && !name.startsWith('Secret/default-token'))
        .sort();
    }
    return { held, outcomes };
  }

  it('given a Kustomize base with two overlays (patches, a configMapGenerator, images, a component), when rendered for two clusters, then each gets exactly its overlay', async () => {
    const application = app(`metadata: { name: web }
spec:
  source: platform
  path: apps/web
  targets:
    - selector: { matchLabels: { env: prod } }
      namespace: kz-\${cluster.name}
      overlay: overlays/prod
      patches:
        - target: { kind: Deployment, name: web }
          merge: { metadata: { annotations: { region: '\${cluster.labels.region}' } } }
    - selector: { matchLabels: { env: staging } }
      namespace: kz-\${cluster.name}
      overlay: overlays/staging
`);
    const files = source.filter((f) => f.path.startsWith('apps/web/'));
    const { held, outcomes } = await renderAndApply(application, files, 'kz');
    const eu = outcomes['eu-1']!;
    const us = outcomes['us-1']!;
    expect(eu.renderer).toEqual({ kind: 'kustomize', tool: 'kustomize v5.5.0' });
    const settingsEu = eu.ok && eu.bundle.objects.find((o) => o.metadata.name.startsWith('web-settings-'))!;
    const settingsUs = us.ok && us.bundle.objects.find((o) => o.metadata.name.startsWith('web-settings-'))!;
    expect(held['eu-1']).toEqual(
      [
        'ConfigMap/metrics-endpoints',
        `ConfigMap/${settingsEu && settingsEu.metadata.name}`,
        'Deployment/web',
        'PodDisruptionBudget/web',
        'Service/web',
      ].sort(),
    );
    expect(held['us-1']).toEqual(
      [`ConfigMap/${settingsUs && settingsUs.metadata.name}`, 'Deployment/web', 'Service/web'].sort(),
    );
    const deployment = JSON.parse(k(['get', 'deployment', 'web', '-n', 'kz-eu-1', '-o', 'json']));
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.example/web:1.9.4');
    expect(deployment.spec.template.metadata.annotations).toEqual({ 'metrics.example/scrape': 'true' });
    expect(deployment.metadata.annotations.region).toBe('eu');
    expect(deployment.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'web', tier: 'production' });
    const staging = JSON.parse(k(['get', 'deployment', 'web', '-n', 'kz-us-1', '-o', 'json']));
    expect(staging.spec.template.spec.containers[0].image).toBe('registry.example/web:2.0.0-rc.1');
    expect(settingsUs && settingsUs.data).toEqual({
      REGION: 'us',
      STAGE: 'staging',
      'app.properties': 'greeting=hello\n',
    });
    expect(settingsEu && settingsEu.data).toEqual({ REGION: 'eu', 'app.properties': 'greeting=hello\n' });
  });

  it('given a Helm chart with a subchart, helpers, values per environment and .Capabilities, when rendered for two clusters, then each gets its values and versions', async () => {
    const application = app(`metadata: { name: web }
spec:
  source: platform
  path: charts/web
  helm: { releaseName: shop, values: { region: '\${cluster.labels.region}' } }
  targets:
    - selector: { matchLabels: { env: prod } }
      namespace: helm-\${cluster.name}
      helm: { valuesFiles: [values-prod.yaml] }
    - selector: { matchLabels: { env: staging } }
      namespace: helm-\${cluster.name}
      helm: { valuesFiles: [values-staging.yaml], values: { replicas: 2 } }
`);
    const files = source.filter((f) => f.path.startsWith('charts/web/'));
    const { held, outcomes } = await renderAndApply(application, files, 'helm');
    expect(outcomes['eu-1']!.renderer).toEqual({
      kind: 'helm',
      tool: 'helm v3.17.2',
      chart: 'web 1.2.3',
      kubeVersion: 'v1.20.2 (reported by the cluster)',
    });
    expect(outcomes['us-1']!.renderer.kubeVersion).toBe('v1.20.0 (from label flotilla.dev/kube-version)');
    expect(held['eu-1']).toEqual([
      'ConfigMap/shop-cache',
      'ConfigMap/shop-web-platform',
      'Deployment/shop-web',
      'PodDisruptionBudget/shop-web',
    ]);
    expect(held['us-1']).toEqual([
      'ConfigMap/shop-web-platform',
      'Deployment/shop-web',
      'PodDisruptionBudget/shop-web',
    ]);
    const eu = JSON.parse(k(['get', 'deployment', 'shop-web', '-n', 'helm-eu-1', '-o', 'json']));
    expect(eu.spec.replicas).toBe(3);
    expect(eu.spec.template.spec.containers[0]).toMatchObject({
      image: 'registry.example/web:4.5.6',
      env: [{ name: 'REGION', value: 'eu' }],
    });
    const us = JSON.parse(k(['get', 'deployment', 'shop-web', '-n', 'helm-us-1', '-o', 'json']));
    expect(us.spec.replicas).toBe(2);
    expect(us.spec.template.spec.containers[0].image).toBe('registry.example/web:5.0.0-beta');
    expect(JSON.parse(k(['get', 'configmap', 'shop-web-platform', '-n', 'helm-us-1', '-o', 'json'])).data).toEqual({
      kubeVersion: 'v1.20.0',
      monitoring: 'false',
      namespace: 'helm-us-1',
    });
    expect(JSON.parse(k(['get', 'configmap', 'shop-cache', '-n', 'helm-eu-1', '-o', 'json'])).data).toEqual({
      sizeMb: '256',
    });
  });

  it('given a chart served by a chart repository on loopback, when rendered for two clusters, then the hub fetches it once by digest and each gets its values', async () => {
    const { helm } = k8sTools();
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-chart-repo-'));
    let server: Server | undefined;
    let downloads = 0;
    try {
      execFileSync(helm, ['package', join(fixturesDir, 'repo-charts', 'greeter'), '--destination', dir], {
        env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
      });
      server = createServer((req, res) => {
        const name = (req.url ?? '/').replace(/^\/charts\//, '');
        if (!/^(index\.yaml|greeter-0\.4\.1\.tgz)$/.test(name)) return res.writeHead(404).end();
        if (name.endsWith('.tgz')) downloads++;
        res.end(readFileSync(join(dir, name)));
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      execFileSync(helm, ['repo', 'index', dir, '--url', `http://127.0.0.1:${port}/charts`], {
        env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
      });
      const cacheDir = mkdtempSync(join(tmpdir(), 'flotilla-chart-cache-'));
      const charts = new ChartRepositoryFetcher({ cacheDir, timeoutMs: 10_000, maxBytes: 10 * 1024 * 1024 });
      renderer = testRenderer({ charts });
      const application = app(`metadata: { name: greeter }
spec:
  source: platform
  path: apps/greeter
  chart: { repository: 'http://127.0.0.1:${port}/charts/', name: greeter, version: 0.4.1 }
  helm: { values: { message: 'hello from \${cluster.labels.region}' } }
  targets:
    - selector: { matchLabels: {} }
      namespace: repo-\${cluster.name}
`);
      const { held, outcomes } = await renderAndApply(application, [], 'repo');
      expect(held).toEqual({ 'eu-1': ['ConfigMap/greeter-greeting'], 'us-1': ['ConfigMap/greeter-greeting'] });
      expect(downloads).toBe(1);
      expect(outcomes['eu-1']!.renderer.chart).toMatch(/^greeter 0\.4\.1 \(sha256:[0-9a-f]{64}\)$/);
      expect(JSON.parse(k(['get', 'configmap', 'greeter-greeting', '-n', 'repo-us-1', '-o', 'json'])).data).toEqual({
        message: 'hello from us',
      });
      rmSync(cacheDir, { recursive: true, force: true });
    } finally {
      renderer = testRenderer();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given a chart pushed to an OCI registry on loopback, when rendered for two clusters, then the hub pulls it once with helm, records its digest and each gets its values', async () => {
    const { helm } = k8sTools();
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-oci-'));
    const registry = await startOciRegistry();
    const cacheDir = mkdtempSync(join(tmpdir(), 'flotilla-chart-cache-'));
    try {
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HELM_CACHE_HOME: dir,
        HELM_CONFIG_HOME: dir,
        HELM_DATA_HOME: dir,
        HELM_REGISTRY_CONFIG: join(dir, 'registry.json'),
      };
      execFileSync(helm, ['package', join(fixturesDir, 'repo-charts', 'greeter'), '--destination', dir], { env });
      await execFileAsync(
        helm,
        ['push', join(dir, 'greeter-0.4.1.tgz'), `oci://${registry.host}/charts`, '--plain-http'],
        {
          env,
        },
      );
      const ociRenderer = testRenderer({
        ociCharts: { cacheDir, timeoutMs: 30_000, maxBytes: 10 * 1024 * 1024, plainHttpHosts: [] },
      });
      const application = app(`metadata: { name: greeter }
spec:
  source: platform
  path: apps/greeter
  chart: { repository: 'oci://${registry.host}/charts', name: greeter, version: 0.4.1 }
  helm: { values: { message: 'hello over OCI from \${cluster.labels.region}' } }
  targets:
    - selector: { matchLabels: {} }
      namespace: oci-\${cluster.name}
`);
      renderer = ociRenderer;
      const before = registry.blobDownloads();
      const { held, outcomes } = await renderAndApply(application, [], 'oci');
      expect(held).toEqual({ 'eu-1': ['ConfigMap/greeter-greeting'], 'us-1': ['ConfigMap/greeter-greeting'] });
      // One pull (config and chart layer) for both clusters: the second render came from the cache.
      expect(registry.blobDownloads() - before).toBe(2);
      const chart = outcomes['eu-1']!.renderer.chart;
      expect(chart).toMatch(/^greeter 0\.4\.1 \(sha256:[0-9a-f]{64}\)$/);
      expect(outcomes['us-1']!.renderer.chart).toBe(chart);
      // The digest is the manifest's, as the registry serves it.
      const manifestDigest = await fetch(`http://${registry.host}/v2/charts/greeter/manifests/0.4.1`, {
        method: 'HEAD',
      }).then((r) => r.headers.get('docker-content-digest'));
      expect(chart).toContain(manifestDigest!);
      expect(JSON.parse(k(['get', 'configmap', 'greeter-greeting', '-n', 'oci-us-1', '-o', 'json'])).data).toEqual({
        message: 'hello over OCI from us',
      });

      // A version the registry does not hold: helm's own message, as a render error.
      const missing = await ociRenderer.render({
        application: {
          name: 'greeter',
          spec: app(`metadata: { name: greeter }
spec:
  source: platform
  path: apps/greeter
  chart: { repository: 'oci://${registry.host}/charts', name: greeter, version: 9.9.9 }
  targets: [{ selector: { matchLabels: {} } }]
`).spec,
        },
        target: application.spec.targets[0]!,
        cluster: clusters[0]!,
        files: [],
        limits,
      });
      expect(!missing.ok && missing.errors).toEqual([
        expect.objectContaining({
          code: 'chart-unavailable',
          reason: expect.stringMatching(
            /greeter 9\.9\.9: helm pull oci:\/\/127\.0\.0\.1:\d+\/charts\/greeter --version 9\.9\.9: .*not found/,
          ),
        }),
      ]);
    } finally {
      renderer = testRenderer();
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('given a directory with a non-manifest file, when rendered, then it is an error until the rules exclude it; then each cluster gets exactly the manifests', async () => {
    const files = source.filter((f) => f.path.startsWith('apps/plain/'));
    const spec = (rules: string) =>
      app(`metadata: { name: plain }
spec:
  source: platform
  path: apps/plain
${rules}  targets:
    - selector: { matchLabels: {} }
      namespace: plain-\${cluster.name}
`);
    const refused = await renderer.render({
      application: { name: 'plain', spec: spec('').spec },
      target: spec('').spec.targets[0]!,
      cluster: clusters[0]!,
      files,
      limits,
    });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.errors).toEqual([
      expect.objectContaining({
        code: 'not-a-manifest',
        file: 'apps/plain/.lint-config.yaml',
        reason: expect.stringMatching(/spec\.directory\.exclude/),
      }),
    ]);
    const { held, outcomes } = await renderAndApply(
      spec(`  directory: { exclude: ['.lint-config.yaml'] }\n`),
      files,
      'plain',
    );
    expect(held).toEqual({
      'eu-1': ['Deployment/plain', 'Service/plain'],
      'us-1': ['Deployment/plain', 'Service/plain'],
    });
    expect(outcomes['eu-1']!.renderer).toEqual({ kind: 'plain' });
    expect(JSON.parse(k(['get', 'deployment', 'plain', '-n', 'plain-us-1', '-o', 'json'])).metadata.labels.region).toBe(
      'us',
    );
  });
});
