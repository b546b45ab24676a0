import { z } from 'zod';
import { nullableTimestampSchema, timestampSchema } from './common.schemas';
import { queryTimeSchema } from './query-time';

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

export const resourceRefSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
});

export const driftFieldsSchema = z
  .array(z.object({ path: z.string(), desired: z.unknown().optional(), live: z.unknown().optional() }))
  .describe('JSON pointers of the fields that differ; Secret values are <redacted>');

export const driftReasons = ['missing', 'modified'] as const;
export const driftEndReasons = ['corrected', 'resolved', 'pruned', 'removed', 'deregistered'] as const;
const driftMode = z.enum(['detect', 'correct']).describe('correct: the agent puts it back by itself');

export const driftItemSchema = z.object({
  clusterId: z.string(),
  clusterName: z.string().nullable(),
  application: z.string(),
  resource: resourceRefSchema,
  reason: z.enum(driftReasons),
  fields: driftFieldsSchema,
  mode: driftMode,
  since: timestampSchema,
  lastDetectedAt: timestampSchema,
  episodeId: z.number().int(),
});

export const driftNowSchema = z.object({
  summary: z.object({
    clusters: z.number().int(),
    resources: z.number().int(),
    applications: z.array(
      z.object({
        application: z.string(),
        clusters: z.number().int(),
        resources: z.number().int(),
        correcting: z.number().int().describe('Drifted resources whose application corrects drift'),
      }),
    ),
  }),
  items: z.array(driftItemSchema),
});

export const driftEpisodeSchema = z.object({
  episodeId: z.number().int().describe('Log position of the event that opened it'),
  clusterId: z.string(),
  clusterName: z.string().nullable(),
  application: z.string(),
  resource: resourceRefSchema,
  reason: z.enum(driftReasons),
  fields: driftFieldsSchema,
  mode: driftMode,
  detections: z.number().int(),
  detectedAt: timestampSchema,
  endedAt: nullableTimestampSchema.describe('null while open'),
  endReason: z.enum(driftEndReasons).nullable(),
  durationMs: z.number().int().nullable(),
});

export const driftEpisodesSchema = z.object({
  since: nullableTimestampSchema,
  until: nullableTimestampSchema,
  summary: z.object({
    episodes: z.number().int(),
    open: z.number().int(),
    ended: z.partialRecord(z.enum(driftEndReasons), z.number().int()),
    applications: z.array(
      z.object({
        application: z.string(),
        episodes: z.number().int(),
        open: z.number().int(),
        meanDurationMs: z.number().nullable(),
      }),
    ),
  }),
  items: z.array(driftEpisodeSchema),
  nextCursor: z.number().int().nullable(),
});

export type ResourceRef = z.infer<typeof resourceRefSchema>;
export type DriftItem = z.infer<typeof driftItemSchema>;
export type DriftNow = z.infer<typeof driftNowSchema>;
export type DriftEpisode = z.infer<typeof driftEpisodeSchema>;
export type DriftEpisodes = z.infer<typeof driftEpisodesSchema>;
