import { z } from 'zod';
import { loadSettings } from '../config/load-settings';
import { missedHeartbeatsDefault, natsDurations } from '../durations';

/**
 * The hub's NATS settings, validated at start-up. Key material (seeds, creds) is given
 * either inline (`FLOTILLA_HUB_NATS_ACCOUNT_SEED`) or as a file path (`..._FILE`, e.g. a
 * mounted Kubernetes Secret); errors name the variable, never its value.
 */
const seed = (prefix: string, what: string) =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^${prefix}[A-Z2-7]{56}$`), `must be a NATS ${what} nkey seed (${prefix}...)`);
const creds = z
  .string()
  .includes('-----BEGIN NATS USER JWT-----', { message: 'must be a NATS creds file (BEGIN NATS USER JWT ...)' });

export const natsConfigSchema = z.object({
  /** Comma-separated NATS server URLs. */
  FLOTILLA_HUB_NATS_URL: z
    .string()
    .default('nats://127.0.0.1:4222')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^(nats|tls):\/\//, 'must be nats:// or tls:// URLs')).min(1)),
  /** Signs the account JWT (revocations): the operator's key or one of its signing keys. */
  FLOTILLA_HUB_NATS_OPERATOR_SEED: seed('SO', 'operator'),
  /** The application account's own key: its public key names the account; it signs user JWTs. */
  FLOTILLA_HUB_NATS_ACCOUNT_SEED: seed('SA', 'account'),
  /** A system-account user, used only to push account claims updates. */
  FLOTILLA_HUB_NATS_SYSTEM_CREDS: creds,
  /** The hub's own connection; when absent the hub mints itself a user of the account. */
  FLOTILLA_HUB_NATS_CREDS: creds.optional(),
  /** Name in the account JWT the hub pushes; must match how the account was created. */
  FLOTILLA_HUB_NATS_ACCOUNT_NAME: z.string().min(1).default('FLOTILLA'),
  /** ed25519 seed (32 bytes, base64url) of the key that signs desired state; agents pin its public half. */
  FLOTILLA_HUB_SIGNING_KEY: z
    .string()
    .trim()
    .refine(
      (v) => Buffer.from(v, 'base64url').length === 32,
      'must be 32 bytes, base64url (e.g. `openssl rand 32 | basenc --base64url`)',
    ),
  /** Agents' heartbeat interval the hub expects; must match the agents' setting. */
  FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(50).default(natsDurations.heartbeatIntervalDefaultMs),
  /** Offline after this many consecutive missed heartbeats. */
  FLOTILLA_HUB_MISSED_HEARTBEATS: z.coerce.number().int().min(1).max(100).default(missedHeartbeatsDefault),
});

export type NatsConfigInput = z.input<typeof natsConfigSchema>;

export interface NatsConfig {
  servers: string[];
  operatorSeed: string;
  accountSeed: string;
  accountName: string;
  systemCreds: string;
  hubCreds?: string;
  signingKeySeed: Buffer;
  heartbeatIntervalMs: number;
  missedHeartbeats: number;
}

const secretVariables = [
  'FLOTILLA_HUB_NATS_OPERATOR_SEED',
  'FLOTILLA_HUB_NATS_ACCOUNT_SEED',
  'FLOTILLA_HUB_NATS_SYSTEM_CREDS',
  'FLOTILLA_HUB_NATS_CREDS',
  'FLOTILLA_HUB_SIGNING_KEY',
] as const;

/** Reads and validates the hub's NATS settings; a `<VAR>_FILE` variable points at a file holding `<VAR>`. */
export function loadNatsConfig(env: NodeJS.ProcessEnv = process.env): NatsConfig {
  const c = loadSettings(natsConfigSchema, 'hub NATS', env, secretVariables);
  return {
    servers: c.FLOTILLA_HUB_NATS_URL,
    operatorSeed: c.FLOTILLA_HUB_NATS_OPERATOR_SEED,
    accountSeed: c.FLOTILLA_HUB_NATS_ACCOUNT_SEED,
    accountName: c.FLOTILLA_HUB_NATS_ACCOUNT_NAME,
    systemCreds: c.FLOTILLA_HUB_NATS_SYSTEM_CREDS,
    hubCreds: c.FLOTILLA_HUB_NATS_CREDS,
    signingKeySeed: Buffer.from(c.FLOTILLA_HUB_SIGNING_KEY, 'base64url'),
    heartbeatIntervalMs: c.FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS,
    missedHeartbeats: c.FLOTILLA_HUB_MISSED_HEARTBEATS,
  };
}

export const NATS_CONFIG = 'NATS_CONFIG';
