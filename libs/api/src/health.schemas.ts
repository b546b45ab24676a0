import { z } from 'zod';

/** Liveness and readiness: public, for orchestrators' probes. */
export const livenessSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.array(
    z.object({
      name: z.string().describe('postgres, nats, projections, ...'),
      ok: z.boolean(),
      error: z.string().optional(),
    }),
  ),
});

export type Readiness = z.infer<typeof readinessSchema>;
