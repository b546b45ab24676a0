import { z } from 'zod';

/** Request bodies of the cluster groups capability; also the source of the OpenAPI document. */
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
