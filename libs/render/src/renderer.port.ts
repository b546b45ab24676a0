import type { ApplicationSpec, ApplicationTarget, Bundle, ClusterVariables, RendererKind } from '@flotilla/manifests';

import type { SourceFile } from './sandbox/scratch';

/** What the target cluster runs, for Helm's `.Capabilities`; where it came from is recorded. */
export interface ClusterCapabilities {
  readonly kubeVersion?: string | undefined;
  readonly apiVersions?: readonly string[] | undefined;
}

export interface RenderRequest {
  readonly application: { readonly name: string; readonly spec: ApplicationSpec };
  readonly target: ApplicationTarget;
  readonly cluster: ClusterVariables & ClusterCapabilities;
  /** The source's files at the commit under the application path (every file, not only manifests), keyed from the source root. */
  readonly files: readonly SourceFile[];
  /**
   * Reads the files under another directory of the same commit: Kustomize bases and
   * components outside the application path. Absent: such references are render errors.
   */
  readonly loadDirectory?: ((dir: string) => Promise<readonly SourceFile[]>) | undefined;
  readonly limits: { readonly maxBundleBytes: number };
}

/** Which renderer and which tool version made a bundle: what the log says it was rendered with. */
export interface RendererInfo {
  readonly kind: RendererKind;
  /** `helm v3.17.2`, `kustomize v5.5.0`; absent for plain YAML (no tool). */
  readonly tool?: string;
  /** Helm: `web 1.2.3` (and the repository for a fetched chart). */
  readonly chart?: string;
  /** Helm: the Kubernetes version templates saw, and where it came from (`cluster`, `label ...`, `default`). */
  readonly kubeVersion?: string;
}

export type RenderFailureCode = string;

/** A render error: the tool's own message (file and line where it gives one) or the customisation's. */
export interface RenderProblem {
  readonly code: RenderFailureCode;
  readonly file: string | null;
  readonly documentIndex: number | null;
  readonly patchIndex?: number;
  readonly reason: string;
}

export type RenderOutcome =
  | { readonly ok: true; readonly bundle: Bundle; readonly renderer: RendererInfo }
  | { readonly ok: false; readonly errors: RenderProblem[]; readonly renderer: RendererInfo };

/** One way of turning an application's files into a bundle for one cluster (OCM's one Applier port, one adapter per strategy). */
export interface Renderer {
  readonly kind: RendererKind;
  render(request: RenderRequest): Promise<RenderOutcome>;
}
