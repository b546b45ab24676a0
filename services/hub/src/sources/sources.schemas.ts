import { z } from 'zod';
import {
  branchDefault,
  pollIntervalSecondsDefault,
  pollIntervalSecondsMax,
  pollIntervalSecondsMin,
} from '@flotilla/domain';

/** Request bodies of the sources capability; also the source of the OpenAPI document. The domain re-checks every rule. */
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
