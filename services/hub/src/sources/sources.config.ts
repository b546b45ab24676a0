import path from 'node:path';
import { z } from 'zod';
import { loadSettings } from '../config/load-settings';

/**
 * The sources capability's settings (FLOTILLA_HUB_GIT_*), validated at start-up like the
 * hub's own config. Secrets are never values here: only the directory they are mounted in.
 */
export const sourcesConfigSchema = z.object({
  /** Bare mirrors, one per source; per replica (never shared between replicas). */
  FLOTILLA_HUB_GIT_DATA_DIR: z.string().min(1).default('.flotilla/git'),
  /**
   * Directory of secret files named by `credentialsRef` / `webhookSecretRef` (e.g. a mounted
   * Kubernetes Secret). An https credential file holds `username:token` (or a bare token);
   * an ssh one holds a private key (mode 0600), with an optional `<ref>.known_hosts` beside it.
   */
  FLOTILLA_HUB_GIT_CREDENTIALS_DIR: z.string().min(1).optional(),
  /** `false` on replicas that must not poll (they still serve webhooks and the API). */
  FLOTILLA_HUB_GIT_POLLING: z.enum(['true', 'false']).default('true'),
  /**
   * `true` lets operators add `file://` sources: the hub then reads any repository path on its
   * own disk, so it is off unless asked for (the demo and the tests turn it on).
   */
  FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES: z.enum(['true', 'false']).default('false'),
});

export interface SourcesConfig {
  dataDir: string;
  credentialsDir: string | undefined;
  polling: boolean;
  allowLocalSources: boolean;
}

export function loadSourcesConfig(env: NodeJS.ProcessEnv = process.env): SourcesConfig {
  const settings = loadSettings(sourcesConfigSchema, 'git sources', env);
  return {
    dataDir: path.resolve(settings.FLOTILLA_HUB_GIT_DATA_DIR),
    credentialsDir: settings.FLOTILLA_HUB_GIT_CREDENTIALS_DIR
      ? path.resolve(settings.FLOTILLA_HUB_GIT_CREDENTIALS_DIR)
      : undefined,
    polling: settings.FLOTILLA_HUB_GIT_POLLING === 'true',
    allowLocalSources: settings.FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES === 'true',
  };
}

export const SOURCES_CONFIG = 'SOURCES_CONFIG';
