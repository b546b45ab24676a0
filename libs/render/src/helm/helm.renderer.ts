import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import {
  normaliseSourcePath,
  renderBundle,
  substituteVariables,
  type ChartReference,
  type JsonObject,
  type JsonValue,
} from '@flotilla/manifests';

import { textOf } from '../plain.renderer';
import type { RenderOutcome, RenderProblem, RenderRequest, Renderer, RendererInfo } from '../renderer.port';
import { runTool, type ToolSlots } from '../sandbox/run-tool';
import { Scratch } from '../sandbox/scratch';
import type { ToolSettings } from '../tools';

/** Where a chart from a chart repository comes from: the archive, verified by its digest. */
export interface ChartArchives {
  fetch(reference: ChartReference): Promise<{ digest: string; archive: Uint8Array }>;
}

/** The cluster label that stands in for the version an agent has not reported yet. */
export const kubeVersionLabel = 'flotilla.dev/kube-version';

export interface HelmRendererOptions {
  /** The Kubernetes version templates see when the cluster reported none and has no label. */
  readonly defaultKubeVersion: string;
  readonly charts?: ChartArchives | undefined;
}

function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : (value as JsonValue);
  }
  return out;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const semver = /^v?\d+\.\d+\.\d+/;

/**
 * `helm template` on a scratch copy of the chart (the application path, with its vendored
 * dependencies under charts/, or an archive fetched from a chart repository). The release
 * name and namespace, values files and inline values (cluster variables substituted) come
 * from the application and its target; `--kube-version`/`--api-versions` from the cluster.
 * Helm gets no repository, registry or plugin configuration and no network: dependencies
 * that are not vendored fail to render.
 */
export class HelmRenderer implements Renderer {
  readonly kind = 'helm' as const;

  constructor(
    private readonly settings: ToolSettings,
    private readonly slots: ToolSlots,
    private readonly options: HelmRendererOptions,
  ) {}

  async render(request: RenderRequest): Promise<RenderOutcome> {
    const { spec, name } = request.application;
    const { target, cluster } = request;
    const path = normaliseSourcePath(spec.path);
    const kube = this.kubeVersion(request);
    const info: RendererInfo = {
      kind: 'helm',
      tool: `helm ${this.settings.versions.helm ?? 'unknown'}`,
      kubeVersion: kube.describe,
      ...(spec.chart ? { chart: `${spec.chart.name} ${spec.chart.version} from ${spec.chart.repository}` } : {}),
    };
    const fail = (errors: RenderProblem[], extra: Partial<RendererInfo> = {}): RenderOutcome => ({
      ok: false,
      errors,
      renderer: { ...info, ...extra },
    });
    const at = (reason: string, code = 'helm-values', file: string | null = null): RenderProblem => ({
      code,
      file,
      documentIndex: null,
      reason,
    });
    const files = new Map(request.files.map((file) => [normaliseSourcePath(file.path), file]));
    const inPath = (relative: string) => normaliseSourcePath(path ? `${path}/${relative}` : relative);

    let chartInfo: string | undefined;
    if (!spec.chart) {
      const chartYaml = files.get(inPath('Chart.yaml'));
      if (!chartYaml) return fail([at(`${path || 'the source root'} holds no Chart.yaml`, 'no-chart')]);
      chartInfo = chartVersion(textOf(chartYaml.content));
    }

    const valuesFiles = [...(spec.helm?.valuesFiles ?? []), ...(target.helm?.valuesFiles ?? [])];
    const missing = valuesFiles.filter((file) => !files.has(inPath(file)));
    if (missing.length > 0)
      return fail(
        missing.map((file) =>
          at(`values file ${file} is not in ${path || 'the source root'}`, 'helm-values', inPath(file)),
        ),
      );
    const merged = deepMerge(spec.helm?.values ?? {}, target.helm?.values ?? {});
    const { value: values, problems } = substituteVariables(merged, cluster);
    if (problems.length > 0) return fail(problems.map((problem) => at(`helm values: ${problem}`, 'unknown-variable')));
    const namespaceText = target.namespace ?? 'default';
    const namespace = substituteVariables(namespaceText, cluster);
    if (namespace.problems.length > 0)
      return fail(namespace.problems.map((problem) => at(`target namespace: ${problem}`, 'unknown-variable')));
    const releaseName = target.helm?.releaseName ?? spec.helm?.releaseName ?? name;

    const scratch = await Scratch.create(this.settings.scratchDir);
    try {
      await scratch.write(request.files);
      let chartPath = scratch.pathOf(path || '.');
      if (spec.chart) {
        if (!this.options.charts) return fail([at('this hub has no chart repository fetcher', 'chart-unavailable')]);
        let fetched: { digest: string; archive: Uint8Array };
        try {
          fetched = await this.options.charts.fetch(spec.chart);
        } catch (err) {
          return fail([
            at(`chart ${spec.chart.name} ${spec.chart.version}: ${(err as Error).message}`, 'chart-unavailable'),
          ]);
        }
        chartPath = join(scratch.dir, 'chart.tgz');
        await writeFile(chartPath, fetched.archive);
        chartInfo = `${spec.chart.version} (${fetched.digest})`;
      }
      await mkdir(join(scratch.dir, 'values'), { recursive: true });
      const inline = join(scratch.dir, 'values', 'inline.json');
      await writeFile(inline, JSON.stringify(values));
      const args = [
        'template',
        releaseName,
        chartPath,
        '--namespace',
        namespace.value as string,
        '--include-crds',
        '--skip-tests',
        '--kube-version',
        kube.version,
        ...(cluster.apiVersions ?? []).flatMap((apiVersion) => ['--api-versions', apiVersion]),
        ...valuesFiles.flatMap((file) => ['--values', scratch.pathOf(inPath(file))]),
        '--values',
        inline,
      ];
      const result = await this.slots.run(() =>
        runTool({
          command: this.settings.helm!,
          args,
          cwd: scratch.dir,
          env: this.settings.env(scratch.dir),
          timeoutMs: this.settings.timeoutMs,
          maxOutputBytes: this.settings.maxOutputBytes,
          isolateNetwork: this.settings.isolateNetwork,
          rlimits: { addressSpaceBytes: this.settings.maxMemoryBytes },
        }),
      );
      const chart = spec.chart ? `${spec.chart.name} ${chartInfo}` : `${chartInfo ?? ''}`.trim();
      const extra = chart ? { chart } : {};
      if (!result.ok) {
        const reason = result.message
          .split(`${scratch.dir}/src/`)
          .join('')
          .split(scratch.dir)
          .join('')
          .replace(/^Error: /, '');
        return fail(
          [{ code: `helm-${result.reason}`, file: templateFileOf(reason, path), documentIndex: null, reason }],
          extra,
        );
      }
      const rendered = renderBundle({
        files: [],
        path,
        target: { namespace: target.namespace, patches: target.patches },
        cluster,
        limits: request.limits,
        generated: { files: splitBySource(result.stdout, path), substituteVariables: false },
      });
      return { ...rendered, renderer: { ...info, ...extra } };
    } finally {
      await scratch.remove();
    }
  }

  private kubeVersion(request: RenderRequest): { version: string; describe: string } {
    const reported = request.cluster.kubeVersion;
    if (reported && semver.test(reported))
      return { version: reported, describe: `${reported} (reported by the cluster)` };
    const label = request.cluster.labels[kubeVersionLabel];
    if (label && semver.test(label)) return { version: label, describe: `${label} (from label ${kubeVersionLabel})` };
    const fallback = this.options.defaultKubeVersion;
    return {
      version: fallback,
      describe: `${fallback} (default: the cluster reported no version and has no ${kubeVersionLabel} label)`,
    };
  }
}

function chartVersion(text: string): string | undefined {
  const name = /^name:\s*["']?([^"'\s#]+)/m.exec(text)?.[1];
  const version = /^version:\s*["']?([^"'\s#]+)/m.exec(text)?.[1];
  return name && version ? `${name} ${version}` : undefined;
}

/** helm names the template file in its errors (`template: web/templates/x.yaml:12:3: ...`): the source path of that file. */
function templateFileOf(message: string, path: string): string | null {
  const match =
    /(?:template|parse error at \(|YAML parse error on) ?:? ?([^/\s():]+)\/((?:charts\/[^\s():]+\/)?(?:templates|crds)\/[^\s():]+?)(?::\d+|\))/.exec(
      message,
    );
  if (!match) return null;
  return normaliseSourcePath(path ? `${path}/${match[2]}` : match[2]!);
}

/** Helm's output, one entry per template (`# Source: chart/templates/x.yaml`), named by its source path. */
function splitBySource(output: string, path: string): Array<{ path: string; content: string }> {
  const out: Array<{ path: string; content: string }> = [];
  for (const document of output.split(/^---[ \t]*$/m)) {
    const source = /^# Source: [^/\n]+\/(.+)$/m.exec(document)?.[1];
    const file = source ? (path ? `${path}/${source}` : source) : `${path || '.'}/(helm template)`;
    const last = out[out.length - 1];
    if (last && last.path === file) last.content += `\n---\n${document}`;
    else out.push({ path: file, content: document });
  }
  return out;
}
