import { z } from 'zod';
import { nullableTimestampSchema, timestampSchema } from './common.schemas';
import { branchDefault, pollIntervalSecondsDefault, pollIntervalSecondsMax, pollIntervalSecondsMin } from './limits';

/** Requests and responses of the sources capability. The domain re-checks every rule of a request. */
const secretRef = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, 'must be a file name: lowercase alphanumerics, ".", "_", "-"')
  .max(128);

export const addSourceSchema = z
  .object({
    name: z.string().min(1).max(63).describe('DNS label; the source stream is source-<name>'),
    url: z
      .string()
      .min(1)
      .max(2048)
      .describe('https://, ssh:// (or user@host:path) or file:// URL, without credentials'),
    branch: z.string().min(1).max(255).optional().describe(`Default ${branchDefault}`),
    pollIntervalSeconds: z
      .number()
      .int()
      .min(pollIntervalSecondsMin)
      .max(pollIntervalSecondsMax)
      .optional()
      .describe(`Default ${pollIntervalSecondsDefault}`),
    credentialsRef: secretRef
      .optional()
      .describe('File in FLOTILLA_HUB_GIT_CREDENTIALS_DIR: "user:token" for https, a private key for ssh'),
    webhookSecretRef: secretRef
      .optional()
      .describe('File in FLOTILLA_HUB_GIT_CREDENTIALS_DIR holding the webhook secret'),
  })
  .strict();

export const updateSourceSchema = z
  .object({
    branch: z.string().min(1).max(255).optional().describe('The branch to follow from now on'),
    pollIntervalSeconds: z.number().int().min(pollIntervalSecondsMin).max(pollIntervalSecondsMax).optional(),
    credentialsRef: secretRef.nullable().optional().describe('A file name, or null to stop using credentials'),
    webhookSecretRef: secretRef.nullable().optional().describe('A file name, or null to turn the webhook off'),
  })
  .strict()
  .describe('Absent fields stay as they are; the URL cannot change (a new URL is a new source)');

export const sourceNameParamsSchema = z.object({ name: z.string() });

export const sourceStatuses = ['pending', 'ok', 'failing'] as const;

export const sourceSchema = z.object({
  name: z.string(),
  url: z.string(),
  branch: z.string(),
  pollIntervalSeconds: z.number().int(),
  credentialsRef: z.string().nullable().describe('A reference only; the secret never leaves the hub'),
  webhookSecretRef: z.string().nullable(),
  webhookPath: z.string().nullable().describe('Where git hosts deliver push events'),
  status: z
    .enum(sourceStatuses)
    .describe('pending until the first fetch; failing from the first failed fetch until one succeeds'),
  failingSince: nullableTimestampSchema,
  lastError: z.string().nullable(),
  lastErrorAt: nullableTimestampSchema,
  lastObservedCommit: z
    .object({
      sha: z.string(),
      message: z.string().nullable(),
      author: z.string().nullable(),
      committedAt: nullableTimestampSchema,
      observedAt: nullableTimestampSchema,
    })
    .nullable(),
  historyRewrittenAt: nullableTimestampSchema,
  webhookRejections: z.number().int(),
  lastWebhookRejectedAt: nullableTimestampSchema,
  lastWebhookRejection: z.string().nullable(),
  addedAt: timestampSchema,
  addedBy: z.string(),
});

/** A push event as GitHub, GitLab or Gitea send it: the hub verifies the raw bytes, then reads only what it needs. */
export const webhookBodySchema = z.looseObject({});

export const webhookAcceptedSchema = z.object({
  accepted: z.literal(true),
  provider: z.enum(['github', 'gitlab', 'gitea', 'unknown']).describe('The git host whose signature verified'),
  triggered: z.boolean().describe('false for a ping: verified, nothing to fetch'),
});

export type Source = z.infer<typeof sourceSchema>;
export type WebhookAccepted = z.infer<typeof webhookAcceptedSchema>;

/** The answer of POST /sources/{name}/refresh (no body): how the fetch went, and the source after it. */
export const refreshSourceResultSchema = z.object({
  outcome: z
    .enum(['fetched', 'failed', 'busy'])
    .describe('failed: see source.lastError; busy: another hub replica is fetching it now'),
  newCommits: z.number().int().describe('CommitObserved events this fetch recorded'),
  source: sourceSchema,
});
export type RefreshSourceResult = z.infer<typeof refreshSourceResultSchema>;
