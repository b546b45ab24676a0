import { Inject, Injectable } from '@nestjs/common';
import type { ManifestFile } from '@flotilla/manifests';
import { gitAuthFor } from '../sources/observe-source/git-auth';
import { GitMirror, TreeTooLargeError } from '../sources/observe-source/git-mirror';
import { SourceSecrets } from '../sources/source-secrets';
import { SOURCES_CONFIG, type SourcesConfig } from '../sources/sources.config';

/** The git remote or the mirror failed (network, disk): a later attempt may work. The reactor retries; it never records this as a bad commit. */
export class SourceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceUnavailableError';
  }
}

export interface SourceRef {
  name: string;
  url: string;
  branch: string;
  credentialsRef: string | null;
}

/** The files, or why the commit itself can never render (recorded as RenderFailed). */
export type SourceFiles =
  | { ok: true; files: ManifestFile[]; loadDirectory?: (dir: string) => Promise<ManifestFile[]> }
  | { ok: false; code: 'commit-unavailable' | 'source-too-large' | 'source-unavailable'; reason: string };

/**
 * Reads an application's manifests at one commit from this replica's mirror of the source
 * (the same mirror the poller fetches into), fetching first when the commit is not there
 * yet: replicas that do not poll render too.
 */
@Injectable()
export class SourceFilesReader {
  constructor(
    @Inject(SOURCES_CONFIG) private readonly config: SourcesConfig,
    private readonly secrets: SourceSecrets,
  ) {}

  async read(source: SourceRef, commit: string, dir: string, maxBytes: number): Promise<SourceFiles> {
    let mirror: GitMirror;
    try {
      const auth = await gitAuthFor(
        { url: source.url, credentialsRef: source.credentialsRef },
        this.secrets,
        this.config.dataDir,
      );
      mirror = new GitMirror(this.config.dataDir, source, auth);
      if (!(await mirror.hasCommit(commit))) await mirror.fetch();
    } catch (err) {
      throw new SourceUnavailableError(`source ${source.name}: ${(err as Error).message}`, { cause: err });
    }
    // After a successful fetch, a commit still missing was force-pushed away: it will never come back.
    if (!(await mirror.hasCommit(commit))) {
      return {
        ok: false,
        code: 'commit-unavailable',
        reason: `commit ${commit} is not on branch ${source.branch} of source ${source.name} any more (history rewritten?)`,
      };
    }
    try {
      // Every file: charts have templates and helpers, kustomizations read generator files; the renderer picks.
      const files = await mirror.readTree(commit, dir, { maxBytes });
      return { ok: true, files };
    } catch (err) {
      if (err instanceof TreeTooLargeError) return { ok: false, code: 'source-too-large', reason: err.message };
      throw new SourceUnavailableError(`source ${source.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
