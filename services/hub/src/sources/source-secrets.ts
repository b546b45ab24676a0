import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { FlotillaError, validateSecretRef, type ErrorCategory } from '@flotilla/domain';
import { SOURCES_CONFIG, type SourcesConfig } from './sources.config';

/** A reference names no readable secret on this replica. The message names the ref, never content. */
export class SecretUnavailableError extends FlotillaError {
  readonly category: ErrorCategory = 'validation';
  constructor(
    readonly ref: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('secret-unavailable', message, options);
  }
}

/**
 * Resolves `credentialsRef` / `webhookSecretRef` to files in FLOTILLA_HUB_GIT_CREDENTIALS_DIR.
 * Read on every use rather than cached, so a rotated Kubernetes Secret takes effect without
 * a restart.
 */
@Injectable()
export class SourceSecrets {
  constructor(@Inject(SOURCES_CONFIG) private readonly config: SourcesConfig) {}

  /** Path of the secret file; throws SecretUnavailableError when the directory or file is missing. */
  async pathOf(ref: string): Promise<string> {
    validateSecretRef(ref, 'ref');
    if (!this.config.credentialsDir)
      throw new SecretUnavailableError(ref, `secret "${ref}": FLOTILLA_HUB_GIT_CREDENTIALS_DIR is not set on this hub`);
    const file = path.join(this.config.credentialsDir, ref);
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new SecretUnavailableError(
        ref,
        `secret "${ref}" is not a readable file in FLOTILLA_HUB_GIT_CREDENTIALS_DIR`,
        {
          cause: err,
        },
      );
    }
    return file;
  }

  async read(ref: string): Promise<string> {
    const file = await this.pathOf(ref);
    try {
      // Trailing newlines come from `echo` and editors; a secret never ends with one on purpose.
      return (await readFile(file, 'utf8')).replace(/[\r\n]+$/, '');
    } catch (err) {
      throw new SecretUnavailableError(ref, `secret "${ref}" cannot be read`, { cause: err });
    }
  }

  async exists(ref: string): Promise<boolean> {
    try {
      await this.pathOf(ref);
      return true;
    } catch {
      return false;
    }
  }
}
