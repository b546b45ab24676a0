// @flotilla/render: how the hub turns an application's files at a commit into a bundle for
// one cluster. One port (Renderer), three adapters (plain YAML; Kustomize and Helm with the
// real tools, run as sandboxed child processes), and the fetcher of charts from chart
// repositories and OCI registries. The pure customisation (variables, patches, namespace, digest) stays in
// @flotilla/manifests; this library is the I/O around it.

export { ApplicationRenderer, type ApplicationRendererOptions } from './application-renderer';
export { detectRenderer, kustomizationFileNames } from './detect';
export { ChartRepositoryUnavailableError, RenderToolError, RenderToolUnavailableError } from './errors';
export { ChartRepositoryFetcher, type ChartRepositoryOptions } from './helm/chart-repository';
export { ChartSources, isLoopbackHost, OciChartFetcher, ociReference, type OciChartOptions } from './helm/oci-charts';
export { HelmRenderer, kubeVersionLabel, type ChartArchives, type HelmRendererOptions } from './helm/helm.renderer';
export { KustomizeRenderer } from './kustomize/kustomize.renderer';
export { PlainRenderer } from './plain.renderer';
export type {
  ClusterCapabilities,
  RenderOutcome,
  RenderProblem,
  RenderRequest,
  Renderer,
  RendererInfo,
} from './renderer.port';
export {
  networkIsolation,
  runTool,
  ToolSlots,
  type ToolLimits,
  type ToolResult,
  type ToolRun,
} from './sandbox/run-tool';
export { Scratch, type SourceFile } from './sandbox/scratch';
export { probeTools, sandboxEnv, type ToolPaths, type ToolSettings, type ToolVersions } from './tools';
