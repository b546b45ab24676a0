import { z } from 'zod';
import { clusterStateSchema, labelsSchema } from './clusters.schemas';
import { timestampSchema } from './common.schemas';

/** Requests and responses of the cluster groups capability. */
export const labelSelectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string(),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()
  .describe('Kubernetes label selector (metav1.LabelSelector semantics)');

export const createClusterGroupSchema = z
  .object({
    name: z.string().describe('DNS label'),
    selector: labelSelectorSchema,
    description: z.string().optional(),
  })
  .strict();

export const groupNameParamsSchema = z.object({ name: z.string() });

export const clusterGroupSchema = z.object({
  name: z.string(),
  selector: labelSelectorSchema,
  description: z.string(),
  createdAt: timestampSchema,
  createdBy: z.string(),
  members: z.array(z.object({ id: z.string(), name: z.string(), state: clusterStateSchema, labels: labelsSchema })),
});

export type ClusterGroup = z.infer<typeof clusterGroupSchema>;
