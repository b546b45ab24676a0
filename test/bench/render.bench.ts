// Render throughput of the three renderers with the real tools: one application of each kind
// (plain YAML, a Kustomize overlay with a base and a component, a Helm chart with a subchart)
// for 100 clusters whose labels differ, as the hub renders a commit for a fleet. Plain YAML is
// the baseline the tools' cost is read against (each kustomize or helm render is a sandboxed
// child process on a scratch copy; tools run FLOTILLA_BENCH_CONCURRENCY at a time).
// Run: npm run bench:render   (the last line is the result)

import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseApplicationSpec } from '@flotilla/manifests';
import { ApplicationRenderer, networkIsolation, probeTools, type SourceFile } from '@flotilla/render';

import { k8sTools, readTree, fixturesDir } from '../../libs/render/src/testing/render-harness';

const clusterCount = Number(process.env.FLOTILLA_BENCH_CLUSTERS ?? 100);
const concurrency = Number(process.env.FLOTILLA_BENCH_CONCURRENCY ?? 2);

const applications = {
  plain: `metadata: { name: plain }
spec:
  source: platform
  path: apps/plain
  directory: { exclude: ['.lint-config.yaml'] }
  targets: [{ selector: {}, namespace: 'plain-\${cluster.labels.region}' }]`,
  kustomize: `metadata: { name: web }
spec:
  source: platform
  path: apps/web
  targets: [{ selector: {}, namespace: 'web-\${cluster.labels.region}', overlay: overlays/prod }]`,
  helm: `metadata: { name: shop }
spec:
  source: platform
  path: charts/web
  helm: { values: { region: '\${cluster.labels.region}' } }
  targets: [{ selector: {}, namespace: shop, helm: { valuesFiles: [values-prod.yaml] } }]`,
};

async function main(): Promise<void> {
  const tools = k8sTools();
  const renderer = new ApplicationRenderer({
    tools,
    versions: probeTools(tools, { helm: 'FLOTILLA_HELM', kubectl: 'FLOTILLA_KUBECTL' }),
    scratchDir: join(tmpdir(), 'flotilla-render-bench'),
    timeoutMs: 60_000,
    maxOutputBytes: 4 * 1024 * 1024,
    concurrency,
    isolateNetwork: networkIsolation().available,
    defaultKubeVersion: 'v1.32.0',
  });
  const files: SourceFile[] = readTree(join(fixturesDir, 'source'));
  const clusters = Array.from({ length: clusterCount }, (_, i) => ({
    name: `cluster-${i}`,
    labels: { region: `region-${i % 7}` },
  }));
  const rates: Record<string, number> = {};
  for (const [kind, yaml] of Object.entries(applications)) {
    const { metadata, spec } = parseApplicationSpec(`apiVersion: flotilla.dev/v1\nkind: Application\n${yaml}`);
    const started = performance.now();
    const outcomes = await Promise.all(
      clusters.map((cluster) =>
        renderer.render({
          application: { name: metadata.name, spec },
          target: spec.targets[0]!,
          cluster,
          files,
          limits: { maxBundleBytes: 900 * 1024 },
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const failed = outcomes.filter((outcome) => !outcome.ok);
    if (failed.length > 0) throw new Error(`${kind}: ${failed.length} renders failed: ${JSON.stringify(failed[0])}`);
    rates[kind] = clusterCount / seconds;
    console.log(
      `${kind}: ${clusterCount} bundles in ${seconds.toFixed(2)} s (${outcomes[0]!.renderer.tool ?? 'no tool'})`,
    );
  }
  const f = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  console.log(
    `render: plain ${f(rates.plain!)} bundles/s, kustomize ${f(rates.kustomize!)}/s, helm ${f(rates.helm!)}/s`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
