import { z } from 'zod';
import { durations } from '../durations';
import { registrationTokenTtlMaxMs } from '@flotilla/domain';

/** Request bodies of the clusters capability; also the source of the OpenAPI document. */
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
      .describe(`Lifetime; default ${durations.registrationTokenTtlDefaultMs / 1000} s`),
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
