import type { ManifestFile } from '@flotilla/manifests';

/** Where a source's files are: what the sources capability needs to read them at a commit. */
export interface SourceLocation {
  name: string;
  url: string;
  branch: string;
  credentialsRef: string | null;
}

/** The files, or why the commit itself can never render (recorded as RenderFailed). */
export type SourceFiles =
  | { ok: true; files: ManifestFile[] }
  | { ok: false; code: 'commit-unavailable' | 'source-too-large' | 'source-unavailable'; reason: string };

/** The git remote or the mirror failed (network, disk): a later attempt may work. Callers retry; it is never a bad commit. */
export class SourceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceUnavailableError';
  }
}

/**
 * The sources capability's public port for other capabilities: the files of commit X under
 * path P of a source (every file: the renderer decides what to read), at most `maxBytes` in all.
 * An abstract class so that it is also the Nest injection token.
 */
export abstract class SourceFilesPort {
  abstract read(request: {
    source: SourceLocation;
    commit: string;
    path: string;
    maxBytes: number;
  }): Promise<SourceFiles>;
}
