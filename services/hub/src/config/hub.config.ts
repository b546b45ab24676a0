import path from 'node:path';
import { z } from 'zod';
import { TRACE_EXPORTER_KINDS, type TraceExporterKind } from '@flotilla/telemetry';
import { loadSettings } from './load-settings';

/**
 * The hub's own settings, read once at start-up from FLOTILLA_HUB_* and validated; a bad
 * value stops the hub with a message naming the variable. (NATS settings live in
 * nats/nats.config.ts, owned by the NATS side.)
 */
export const hubConfigSchema = z.object({
  /** Postgres holding the event log and the read models. */
  FLOTILLA_HUB_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/flotilla'),
  FLOTILLA_HUB_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  FLOTILLA_HUB_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * Optional bootstrap admin API token (at least 32 characters). Held in memory as a hash
   * only; acts as `token:admin`. Leave unset and use `npm run hub -- create-admin-token`.
   */
  FLOTILLA_HUB_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Pool size of the hub's Postgres connections. */
  FLOTILLA_HUB_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  FLOTILLA_HUB_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug']).default('log'),
  /** Where spans go: nowhere unless asked (`console`, or `otlp` to OTEL_EXPORTER_OTLP_* / the endpoint below). */
  FLOTILLA_HUB_TRACES_EXPORTER: z
    .enum(TRACE_EXPORTER_KINDS as [TraceExporterKind, ...TraceExporterKind[]])
    .default('none'),
  FLOTILLA_HUB_OTLP_ENDPOINT: z.string().url().optional(),
  /**
   * The web console's built files (`npm run build -w @flotilla/console`), served at `/` when
   * the directory holds an index.html; the REST API stays under /api/v1. Default: the
   * console's dist/ beside the hub in this repository (src/config or dist/config alike).
   */
  FLOTILLA_HUB_CONSOLE_DIR: z.string().min(1).default(path.resolve(__dirname, '../../../console/dist')),
});

export type HubConfig = z.infer<typeof hubConfigSchema>;

/** Parses the environment; the error names each bad variable (never its value: it may be a secret). */
export function loadHubConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  return loadSettings(hubConfigSchema, 'hub', env);
}

export const HUB_CONFIG = 'HUB_CONFIG';
