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
  message: z.string().nullable().describe('Why the last sync failed (kept while the agent retries it)'),
  healthMessage: z.string().nullable().describe("Why the health is what it is, in the agent's words (connected only)"),
});

export const renderErrorSchema = z.object({
  file: z.string().nullable().describe('Path relative to the source root, null when not about one file'),
  documentIndex: z.number().int().nullable().describe('0-based index of the YAML document in the file'),
  code: z.string(),
  reason: z.string(),
});

export const renderStatusSchema = z.object({
  sourceCommit: z.string().nullable().describe("The newest commit the hub has seen on the application's source"),
  pinnedCommit: z.string().nullable(),
  commit: z.string().nullable().describe('The commit of the newest render outcome'),
  state: z.enum(['rendered', 'failed', 'none']),
  failure: z
    .object({
      commit: z.string(),
      clusterId: z.string().nullable().describe('null: every targeted cluster failed the same way'),
      clusterName: z.string().nullable(),
      errors: z.array(renderErrorSchema),
      at: z.string(),
    })
    .nullable()
    .describe('Why the newest commit cannot be rolled out (state failed)'),
});

export const applicationStatusSchema = z.object({
  application: z.string(),
  render: renderStatusSchema.describe('The newest commit seen and whether it rendered'),
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
export type RenderStatus = z.infer<typeof renderStatusSchema>;

/** GET /applications/{name}/clusters/{cluster}/resources: one cluster, resource by resource. */
export const applicationResourcesParamsSchema = z.object({
  name: z.string().min(1).max(253),
  cluster: z.string().min(1).max(200).describe('Cluster id or name'),
});

export const applicationResourceSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  namespace: z.string().nullable(),
  name: z.string(),
  result: z
    .enum(['created', 'configured', 'unchanged', 'failed'])
    .describe('What the last sync did with it (`unchanged` with a reason: left alone, e.g. NotOwned)'),
  reason: z.string().nullable().describe("The API's Status.reason or one of the agent's (NotAllowed, NotOwned, ...)"),
  message: z.string().nullable(),
  health: z.enum(['healthy', 'progressing', 'degraded', 'missing']).nullable().describe('null: not reported'),
  healthMessage: z.string().nullable(),
  drifted: z.boolean(),
});

export const applicationResourcesSchema = z.object({
  application: z.string(),
  clusterId: z.string(),
  clusterName: z.string(),
  lastSync: z
    .object({
      result: z.enum(['succeeded', 'failed']),
      commit: z.string(),
      bundleDigest: z.string(),
      at: z.string(),
      message: z.string().nullable(),
    })
    .nullable()
    .describe('The last sync the agent reported for this application on this cluster; null: none yet'),
  resources: z.array(applicationResourceSchema),
});

export type ApplicationResourcesView = z.infer<typeof applicationResourcesSchema>;
export type ApplicationResource = z.infer<typeof applicationResourceSchema>;
