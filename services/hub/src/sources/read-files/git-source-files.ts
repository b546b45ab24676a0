import { Inject, Injectable } from '@nestjs/common';
import { gitAuthFor } from '../observe-source/git-auth';
import { GitMirror, TreeTooLargeError } from '../observe-source/git-mirror';
import { SourceSecrets } from '../source-secrets';
import { SOURCES_CONFIG, type SourcesConfig } from '../sources.config';
import { SourceFilesPort, SourceUnavailableError, type SourceFiles, type SourceLocation } from './source-files.port';

/**
 * Reads files at one commit from this replica's mirror of the source (the same mirror the
 * poller fetches into), fetching first when the commit is not there yet: replicas that do
 * not poll render too.
 */
@Injectable()
export class GitSourceFiles extends SourceFilesPort {
  constructor(
    @Inject(SOURCES_CONFIG) private readonly config: SourcesConfig,
    private readonly secrets: SourceSecrets,
  ) {
    super();
  }

  async read(request: {
    source: SourceLocation;
    commit: string;
    path: string;
    maxBytes: number;
  }): Promise<SourceFiles> {
    const { source, commit } = request;
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
      const files = await mirror.readTree(commit, request.path, { maxBytes: request.maxBytes });
      return { ok: true, files };
    } catch (err) {
      if (err instanceof TreeTooLargeError) return { ok: false, code: 'source-too-large', reason: err.message };
      throw new SourceUnavailableError(`source ${source.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
