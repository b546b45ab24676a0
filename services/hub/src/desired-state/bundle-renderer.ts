import type { RenderFailure, RenderTarget, BundleRendered } from '@flotilla/domain';
import type { ApplicationSpec, Bundle } from '@flotilla/manifests';
import type { ApplicationRenderer } from '@flotilla/render';
import { SourceUnavailableError, type SourceFiles, type SourceFilesPort, type SourceLocation } from '../sources';
import { sourceReadLimitFactor, sourceUnavailableAttempts } from '../durations';

/** One application at one commit, for some of its targeted clusters. */
export interface RenderJob {
  application: { name: string; spec: ApplicationSpec };
  commit: string;
  pairs: readonly RenderTarget[];
  /** Where the application's source is; undefined when the hub does not know the source. */
  source: SourceLocation | undefined;
}

export type RenderedPair =
  | { clusterId: string; ok: true; bundle: Bundle; renderer?: BundleRendered['data']['renderer'] }
  | { clusterId: string; ok: false; errors: RenderFailure[] };

/**
 * The reactor's one way to render: a job in, one outcome per pair out, in the pairs' order.
 * A failure that a later attempt may heal is thrown (the reactor's batch rolls back and is
 * retried); one the commit itself causes is an outcome with `ok: false`.
 */
export interface BundleRenderer {
  render(job: RenderJob): Promise<RenderedPair[]>;
}

/**
 * Renders through @flotilla/render (plain YAML, Kustomize or Helm, as the application's files
 * call for) from the files the sources capability reads at the commit (once per job, shared
 * by its pairs). Kustomize bases outside the application path are read from the same commit.
 */
export class ToolBundleRenderer implements BundleRenderer {
  /** Failed fetches per (source, commit) on this replica: retried, then recorded as a failed render. */
  private readonly unavailable = new Map<string, number>();

  constructor(
    private readonly sourceFiles: SourceFilesPort,
    private readonly renderer: Pick<ApplicationRenderer, 'render'>,
    private readonly limits: { maxBundleBytes: number },
  ) {}

  async render(job: RenderJob): Promise<RenderedPair[]> {
    if (job.pairs.length === 0) return [];
    const files = await this.filesFor(job);
    const loadDirectory = async (path: string) => {
      const more = await this.read(job, path);
      return more.ok ? more.files : [];
    };
    return Promise.all(
      job.pairs.map(async ({ cluster, target }): Promise<RenderedPair> => {
        const clusterId = cluster.clusterId;
        if (!files.ok) {
          return {
            clusterId,
            ok: false,
            errors: [{ file: null, documentIndex: null, code: files.code, reason: files.reason }],
          };
        }
        const result = await this.renderer.render({
          application: job.application,
          files: files.files,
          loadDirectory,
          target,
          // What its agent reported: Helm's `.Capabilities` (the renderer falls back, and says so, when it is absent).
          cluster: {
            name: cluster.name,
            labels: cluster.labels,
            kubeVersion: cluster.kubernetesVersion,
            apiVersions: cluster.apiVersions,
          },
          limits: { maxBundleBytes: this.limits.maxBundleBytes },
        });
        if (result.ok) return { clusterId, ok: true, bundle: result.bundle, renderer: result.renderer };
        const errors = result.errors.map((e) => ({
          file: e.file,
          documentIndex: e.documentIndex,
          code: e.code,
          reason: e.reason,
        }));
        return { clusterId, ok: false, errors };
      }),
    );
  }

  private async filesFor(job: RenderJob): Promise<SourceFiles> {
    const { source, commit } = job;
    if (!source) {
      const reason = `source ${job.application.spec.source} is not registered on the hub`;
      return { ok: false, code: 'commit-unavailable', reason };
    }
    const key = `${source.name}@${commit}`;
    try {
      const files = await this.read(job, job.application.spec.path);
      this.unavailable.delete(key);
      return files;
    } catch (err) {
      if (!(err instanceof SourceUnavailableError)) throw err;
      const attempts = (this.unavailable.get(key) ?? 0) + 1;
      this.unavailable.set(key, attempts);
      // Thrown: the batch rolls back and is retried from its checkpoint.
      if (attempts < sourceUnavailableAttempts) throw err;
      this.unavailable.delete(key);
      return { ok: false, code: 'source-unavailable', reason: `${err.message} (after ${attempts} attempts)` };
    }
  }

  private read(job: RenderJob, path: string): Promise<SourceFiles> {
    return this.sourceFiles.read({
      source: job.source!,
      commit: job.commit,
      path,
      maxBytes: this.limits.maxBundleBytes * sourceReadLimitFactor,
    });
  }
}
