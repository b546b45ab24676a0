import { z } from 'zod';
import { nullableTimestampSchema, timestampSchema } from './common.schemas';
import { queryTimeSchema } from './query-time';

/** GET /clusters/{clusterId}/state?at=T: what a cluster was meant to run and had applied at a moment. */
export const clusterStateQuerySchema = z
  .object({ at: queryTimeSchema.optional().describe('RFC 3339; default now') })
  .strict();

export const clusterStateAtSchema = z.object({
  clusterId: z.string(),
  clusterName: z.string(),
  at: timestampSchema,
  registeredAt: timestampSchema,
  deregisteredAt: nullableTimestampSchema,
  desired: z
    .object({
      revision: z.number().int(),
      assignedAt: timestampSchema.describe('When the hub recorded the assignment'),
      applications: z.array(
        z.object({
          name: z.string(),
          source: z.string(),
          commit: z.string(),
          bundleDigest: z.string(),
          namespace: z.string().optional(),
          policy: z.unknown(),
        }),
      ),
    })
    .nullable()
    .describe('The last DesiredStateAssigned recorded at or before `at`'),
  applied: z
    .array(
      z.object({
        application: z.string(),
        revision: z.number().int(),
        commit: z.string(),
        bundleDigest: z.string(),
        syncedAt: nullableTimestampSchema.describe('When the agent finished the sync (its clock)'),
        recordedAt: timestampSchema.describe('When the hub recorded it'),
      }),
    )
    .describe('Per application, its last SyncSucceeded at or before `at`, unless removed since; sorted by application'),
});

export type ClusterStateAt = z.infer<typeof clusterStateAtSchema>;
