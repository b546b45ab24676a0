import { z } from 'zod';
import { nullableTimestampSchema, timestampSchema } from './common.schemas';
import { registrationTokenTtlDefaultMs, registrationTokenTtlMaxMs } from './limits';

/** Requests and responses of the clusters capability (registration tokens, clusters, labels). */
export const labelsSchema = z.record(z.string(), z.string()).describe('Kubernetes-style labels');

export const createRegistrationTokenSchema = z
  .object({
    labels: labelsSchema.optional().describe('Applied to the cluster that registers with this token'),
    ttlSeconds: z
      .number()
      .int()
      .positive()
      .max(registrationTokenTtlMaxMs / 1000)
      .optional()
      .describe(`Lifetime; default ${registrationTokenTtlDefaultMs / 1000} s`),
  })
  .strict();

export const setClusterLabelsSchema = z.object({ labels: labelsSchema }).strict();

export const listClustersQuerySchema = z
  .object({
    selector: z
      .string()
      .optional()
      .describe("Label selector in kubectl's syntax, e.g. env=prod,region in (eu,us),tier!=db,!legacy"),
    includeDeregistered: z.enum(['true', 'false']).optional(),
  })
  .strict();

export const clusterIdParamsSchema = z.object({ clusterId: z.string() });

export const registrationTokenSchema = z.object({
  tokenId: z.string(),
  token: z.string().describe('flt_reg_...: shown once, the hub keeps only its hash'),
  expiresAt: timestampSchema,
  labels: labelsSchema,
  bootstrapCreds: z
    .string()
    .optional()
    .describe('NATS creds of the bootstrap user, which may only send a registration request; absent without NATS'),
});

export const clusterStates = ['pending', 'connected', 'disconnected', 'deregistered'] as const;
export const clusterStateSchema = z
  .enum(clusterStates)
  .describe('Only connected is healthy; pending = no heartbeat yet');

export const clusterSchema = z.object({
  id: z.string(),
  name: z.string(),
  labels: labelsSchema,
  state: clusterStateSchema,
  lastSeenAt: nullableTimestampSchema,
  stateChangedAt: nullableTimestampSchema,
  agentVersion: z.string(),
  kubernetesVersion: z.string(),
  publicKey: z.string(),
  registeredAt: timestampSchema,
  deregisteredAt: nullableTimestampSchema,
});

/** GET /clusters/{id} adds the groups the cluster belongs to. */
export const clusterWithGroupsSchema = clusterSchema.extend({ groups: z.array(z.string()) });

export type Labels = z.infer<typeof labelsSchema>;
export type ClusterState = z.infer<typeof clusterStateSchema>;
export type Cluster = z.infer<typeof clusterSchema>;
export type ClusterWithGroups = z.infer<typeof clusterWithGroupsSchema>;
export type RegistrationToken = z.infer<typeof registrationTokenSchema>;
