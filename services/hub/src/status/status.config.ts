import { z } from 'zod';
import { loadSettings } from '../config/load-settings';
import { allStatusSubjects } from '@flotilla/contracts';

/**
 * Status ingestion settings (FLOTILLA_HUB_STATUS_*), validated at start-up. The defaults are
 * the contract's; tests give each run its own stream, subjects and consumer so they can share
 * one NATS server (JetStream refuses two streams with overlapping subjects).
 */
export const statusConfigSchema = z.object({
  /** The JetStream stream the hub owns and agents publish their reports into. */
  FLOTILLA_HUB_STATUS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a stream name (letters, digits, _ and -)')
    .default('FLOTILLA_STATUS'),
  /** Comma-separated subjects of that stream. */
  FLOTILLA_HUB_STATUS_SUBJECTS: z.string().min(1).default(allStatusSubjects()),
  /** The durable pull consumer every hub replica shares: each report goes to one replica. */
  FLOTILLA_HUB_STATUS_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a consumer name (letters, digits, _ and -)')
    .default('flotilla-hub-status'),
});

export interface StatusConfig {
  stream: string;
  subjects: string[];
  consumer: string;
}

export function loadStatusConfig(env: NodeJS.ProcessEnv = process.env): StatusConfig {
  const settings = loadSettings(statusConfigSchema, 'status ingestion', env);
  return {
    stream: settings.FLOTILLA_HUB_STATUS_STREAM,
    subjects: settings.FLOTILLA_HUB_STATUS_SUBJECTS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    consumer: settings.FLOTILLA_HUB_STATUS_CONSUMER,
  };
}

export const STATUS_CONFIG = 'STATUS_CONFIG';
