import { z } from 'zod';

/**
 * Request bodies of the applications capability besides the application file itself (which
 * parseApplicationSpec checks); also the source of the OpenAPI document. The domain re-checks every rule.
 */
export const pinApplicationSchema = z
  .object({
    commit: z
      .string()
      .describe('Full commit id: 40 hex digits (or 64 for SHA-256 repositories); never a branch or tag'),
  })
  .strict();

export const requestSyncSchema = z
  .object({
    clusterId: z
      .string()
      .optional()
      .describe('Only this cluster (it must be targeted); default: every targeted cluster'),
  })
  .strict();

/** An application file is a page of YAML; a body this large is a mistake (or an attack), not an application. */
export const applicationFileMaxBytes = 1024 * 1024;

/** Content types PUT /applications/{name} reads as the application file's text. */
export const yamlContentTypes = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'] as const;
