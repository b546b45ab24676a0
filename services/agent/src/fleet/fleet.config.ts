import { z } from 'zod';
import { loadFlagsAndEnv, natsUrls, type SettingName } from '../config-input';
import { parseLabels } from './fleet-clusters';
import { fleetDurations } from './fleet.durations';
import { FleetConfigError } from './fleet.errors';

/**
 * The simulated fleet's command line. It is a client of the hub like the `flotilla` CLI, so
 * the hub URL and API token come from the same variables (FLOTILLA_HUB_URL, FLOTILLA_TOKEN;
 * prefer the variable for the token: flags show in `ps`); the agents' settings from the
 * agent's own (FLOTILLA_AGENT_*). Errors name the flag and never echo a value.
 */
const schema = z.object({
  hubUrl: z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL'),
  /**
   * An API token with the operator role: the fleet creates one registration token per cluster
   * that has no credentials in the state directory yet (a restart needs none).
   */
  apiToken: z.string().min(1).optional(),
  natsUrl: natsUrls(),
  clusters: z.coerce.number().int().min(1).max(100_000),
  /** Names are `<namePrefix>-001`, ... */
  namePrefix: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label')
    .max(40)
    .default('sim'),
  /** The same labels for every cluster: `env=prod,region=eu`. */
  labels: z.string().default(''),
  /** Credentials and state of every agent; a restart on the same directory reuses the registrations. */
  stateDir: z.string().min(1).default('.flotilla/fleet'),
  heartbeatIntervalMs: z.coerce.number().int().min(50).default(fleetDurations.heartbeatIntervalDefaultMs),
  /** The emulator's port on 127.0.0.1; 0 picks a free one. */
  emulatorPort: z.coerce.number().int().min(0).max(65_535).default(0),
  registrationConcurrency: z.coerce.number().int().min(1).max(256).default(8),
  tokenTtlSeconds: z.coerce.number().int().min(60).default(fleetDurations.registrationTokenTtlSeconds),
  /** Creds of the bootstrap user; by default those the hub hands out with each token. */
  bootstrapCreds: z
    .string()
    .includes('-----BEGIN NATS USER JWT-----', { message: 'must be a NATS creds file' })
    .optional(),
  /** Print every agent's log lines (prefixed with its cluster name). */
  verbose: z.boolean().default(false),
});
export type FleetConfig = Omit<z.output<typeof schema>, 'labels'> & { labels: Record<string, string> };

const names: Record<string, SettingName> = {
  hubUrl: { flag: '--hub', env: 'FLOTILLA_HUB_URL' },
  apiToken: { flag: '--token', env: 'FLOTILLA_TOKEN' },
  natsUrl: { flag: '--nats-url', env: 'FLOTILLA_AGENT_NATS_URL' },
  clusters: { flag: '--clusters', env: 'FLOTILLA_FLEET_CLUSTERS' },
  namePrefix: { flag: '--name-prefix', env: 'FLOTILLA_FLEET_NAME_PREFIX' },
  labels: { flag: '--labels', env: 'FLOTILLA_FLEET_LABELS' },
  stateDir: { flag: '--state-dir', env: 'FLOTILLA_FLEET_STATE_DIR' },
  heartbeatIntervalMs: { flag: '--heartbeat-interval-ms', env: 'FLOTILLA_AGENT_HEARTBEAT_INTERVAL_MS' },
  emulatorPort: { flag: '--emulator-port', env: 'FLOTILLA_FLEET_EMULATOR_PORT' },
  registrationConcurrency: { flag: '--registration-concurrency', env: 'FLOTILLA_FLEET_REGISTRATION_CONCURRENCY' },
  tokenTtlSeconds: { flag: '--token-ttl-seconds', env: 'FLOTILLA_FLEET_TOKEN_TTL_SECONDS' },
  bootstrapCreds: { flag: '--bootstrap-creds', env: 'FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE' },
  verbose: { flag: '--verbose', env: 'FLOTILLA_FLEET_VERBOSE', boolean: true },
};

export function loadFleetConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): FleetConfig {
  const settings = loadFlagsAndEnv({
    what: 'fleet',
    schema,
    names,
    argv,
    env,
    ConfigError: FleetConfigError,
    files: (raw) => ({ bootstrapCreds: raw.bootstrapCreds as string | undefined }),
  });
  let labels: Record<string, string>;
  try {
    labels = parseLabels(settings.labels);
  } catch (err) {
    throw new FleetConfigError(
      `invalid fleet configuration: --labels (FLOTILLA_FLEET_LABELS): ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return { ...settings, labels };
}
