import { detectRenderer } from './detect';
import type { ChartArchives } from './helm/helm.renderer';
import { HelmRenderer } from './helm/helm.renderer';
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
  readonly defaultKubeVersion: string;
  readonly charts?: ChartArchives | undefined;
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
      env: sandboxEnv,
    };
    this.renderers = {
      plain: new PlainRenderer(),
      kustomize: new KustomizeRenderer(settings, slots),
      helm: new HelmRenderer(settings, slots, {
        defaultKubeVersion: options.defaultKubeVersion,
        charts: options.charts,
      }),
    };
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
