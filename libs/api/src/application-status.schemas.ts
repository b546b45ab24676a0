import { z } from 'zod';
import { nullableTimestampSchema } from './common.schemas';

/** The response of GET /applications/{name}/status: the contract of the GitOps loop. */
export const connectionStates = ['connected', 'disconnected', 'pending'] as const;
export const syncStates = ['pending', 'syncing', 'synced', 'failed'] as const;
export const effectiveHealths = ['healthy', 'progressing', 'degraded', 'missing', 'unknown'] as const;

export const clusterApplicationStatusSchema = z.object({
  clusterId: z.string(),
  clusterName: z.string(),
  state: z.enum(connectionStates).describe('pending = no heartbeat yet'),
  desiredRevision: z.number().int().nullable().describe('The desired-state revision that assigned it'),
  desiredCommit: z.string().nullable(),
  desiredBundle: z.string().nullable(),
  appliedCommit: z.string().nullable(),
  appliedBundle: z.string().nullable(),
  sync: z.enum(syncStates),
  health: z
    .enum(effectiveHealths)
    .describe('unknown unless the cluster is connected: an offline cluster is never reported healthy'),
  drifted: z.boolean(),
  driftedResources: z.number().int(),
  lastSyncAt: nullableTimestampSchema,
  message: z.string().nullable().describe('Why the last sync failed'),
});

export const applicationStatusSchema = z.object({
  application: z.string(),
  summary: z.object({
    clusters: z.number().int(),
    synced: z.number().int(),
    healthy: z.number().int(),
    drifted: z.number().int(),
    offline: z.number().int(),
    failed: z.number().int(),
  }),
  clusters: z.array(clusterApplicationStatusSchema).describe('Every assigned cluster; never truncated'),
});

export type ClusterApplicationStatus = z.infer<typeof clusterApplicationStatusSchema>;
export type ApplicationStatus = z.infer<typeof applicationStatusSchema>;
