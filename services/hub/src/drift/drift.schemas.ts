import { z } from 'zod';
import { queryTimeSchema } from '../history/query-time';

/** Page size of GET /drift/history when the request names none, and the most one page may hold. */
export const driftEpisodesLimitDefault = 500;
export const driftEpisodesLimitMax = 5_000;

const scope = {
  cluster: z.string().min(1).max(200).optional().describe('Cluster id'),
  group: z.string().min(1).max(200).optional().describe('Cluster group name: its current members'),
  application: z.string().min(1).max(200).optional(),
};

export const driftQuerySchema = z.object(scope).strict();

export const driftHistoryQuerySchema = z
  .object({
    ...scope,
    since: queryTimeSchema.optional().describe('Episodes still open at or after this time (RFC 3339)'),
    until: queryTimeSchema.optional().describe('Episodes detected before this time (RFC 3339)'),
    cursor: z
      .string()
      .regex(/^\d{1,15}$/, 'expected an episode id')
      .transform(Number)
      .optional()
      .describe('nextCursor of the previous page'),
    limit: z
      .string()
      .regex(/^\d+$/, 'expected a number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(driftEpisodesLimitMax))
      .optional()
      .describe(`Page size, default ${driftEpisodesLimitDefault}, at most ${driftEpisodesLimitMax}`),
  })
  .strict();

export type DriftQuery = z.infer<typeof driftQuerySchema>;
export type DriftHistoryQuery = z.infer<typeof driftHistoryQuerySchema>;
