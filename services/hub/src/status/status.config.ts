import { z } from 'zod';
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

export class StatusConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StatusConfigError';
  }
}

export function loadStatusConfig(env: NodeJS.ProcessEnv = process.env): StatusConfig {
  const picked = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key.startsWith('FLOTILLA_HUB_STATUS_') && value !== ''),
  );
  const result = statusConfigSchema.safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new StatusConfigError(`invalid status ingestion configuration: ${problems.join('; ')}`, {
      cause: result.error,
    });
  }
  return {
    stream: result.data.FLOTILLA_HUB_STATUS_STREAM,
    subjects: result.data.FLOTILLA_HUB_STATUS_SUBJECTS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    consumer: result.data.FLOTILLA_HUB_STATUS_CONSUMER,
  };
}

export const STATUS_CONFIG = 'STATUS_CONFIG';
