import { z } from 'zod';
import { nullableTimestampSchema, timestampSchema } from './common.schemas';
import { apiRoles } from './limits';

/** Requests and responses of the API tokens capability. */
export const createApiTokenSchema = z
  .object({
    name: z.string().describe('DNS label; events record the actor as token:<name>'),
    role: z.enum(apiRoles),
  })
  .strict();

export const tokenIdParamsSchema = z.object({ tokenId: z.string() });

/** Never the secret nor its hash. */
export const apiTokenSchema = z.object({
  tokenId: z.string(),
  name: z.string(),
  role: z.enum(apiRoles),
  createdAt: timestampSchema.nullable().describe('null: the bootstrap token (FLOTILLA_HUB_ADMIN_TOKEN), in no stream'),
  createdBy: z.string(),
  revokedAt: nullableTimestampSchema,
});

export const createdApiTokenSchema = z.object({
  tokenId: z.string(),
  name: z.string(),
  role: z.enum(apiRoles),
  token: z.string().describe('flt_api_<id>_<secret>: shown once, the hub keeps only its hash'),
});

export type ApiToken = z.infer<typeof apiTokenSchema>;
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;
