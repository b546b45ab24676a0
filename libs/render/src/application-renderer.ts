import { detectRenderer } from './detect';
import type { ChartArchives } from './helm/helm.renderer';
import { HelmRenderer } from './helm/helm.renderer';
import { ChartSources, OciChartFetcher, type OciChartOptions } from './helm/oci-charts';
import { ChartRepositoryUnavailableError } from './errors';
import { KustomizeRenderer } from './kustomize/kustomize.renderer';
import { PlainRenderer } from './plain.renderer';
import type { RenderOutcome, RenderRequest, Renderer } from './renderer.port';
import { ToolSlots } from './sandbox/run-tool';
import { sandboxEnv, type ToolPaths, type ToolVersions } from './tools';

export interface ApplicationRendererOptions {
  readonly tools: ToolPaths;
  readonly versions: ToolVersions;
  readonly scratchDir: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** Tools run at most this many at a time. */
  readonly concurrency: number;
  readonly isolateNetwork: boolean;
  /** Address space each tool run may map (prlimit --as); absent: no cap. */
  readonly maxMemoryBytes?: number | undefined;
  readonly defaultKubeVersion: string;
  /** Charts from chart repositories (index.yaml over http/https); absent: such applications fail to render. */
  readonly charts?: ChartArchives | undefined;
  /** Charts from OCI registries (`oci://`), pulled with this hub's helm; absent: such applications fail to render. */
  readonly ociCharts?: Omit<OciChartOptions, 'helm' | 'scratchDir' | 'timeoutMs'> & { timeoutMs: number };
}

/** The three adapters behind one entry point: picks the renderer an application's files call for. */
export class ApplicationRenderer {
  private readonly renderers: Record<Renderer['kind'], Renderer>;

  constructor(readonly options: ApplicationRendererOptions) {
    const slots = new ToolSlots(options.concurrency);
    const settings = {
      ...options.tools,
      versions: options.versions,
      scratchDir: options.scratchDir,
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes,
      isolateNetwork: options.isolateNetwork,
      maxMemoryBytes: options.maxMemoryBytes,
      env: sandboxEnv,
    };
    this.renderers = {
      plain: new PlainRenderer(),
      kustomize: new KustomizeRenderer(settings, slots),
      helm: new HelmRenderer(settings, slots, {
        defaultKubeVersion: options.defaultKubeVersion,
        charts: this.chartSources(slots),
      }),
    };
  }

  private chartSources(slots: ToolSlots): ChartArchives | undefined {
    const { charts, ociCharts, tools, scratchDir } = this.options;
    const oci =
      ociCharts && tools.helm ? new OciChartFetcher({ ...ociCharts, helm: tools.helm, scratchDir }, slots) : undefined;
    if (!charts && !oci) return undefined;
    const none: ChartArchives = {
      fetch: () =>
        Promise.reject(new ChartRepositoryUnavailableError('this hub fetches no charts from chart repositories')),
    };
    return new ChartSources(charts ?? none, oci);
  }

  async render(request: RenderRequest): Promise<RenderOutcome> {
    const kind = detectRenderer(request.application.spec, request.target, request.files);
    const tool = kind === 'helm' ? this.options.tools.helm : kind === 'kustomize' ? this.options.tools.kubectl : 'none';
    if (!tool) {
      const setting = kind === 'helm' ? 'FLOTILLA_HUB_HELM' : 'FLOTILLA_HUB_KUBECTL';
      return {
        ok: false,
        renderer: { kind },
        errors: [
          {
            code: 'renderer-unavailable',
            file: null,
            documentIndex: null,
            reason: `this application renders with ${kind}, but the hub has no ${kind === 'helm' ? 'helm' : 'kubectl'} (${setting} is not set)`,
          },
        ],
      };
    }
    return this.renderers[kind].render(request);
  }
}
