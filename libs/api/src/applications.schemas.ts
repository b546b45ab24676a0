import { z } from 'zod';
import { applicationFileSchema, isObjectPolicyKind, isObjectPolicyNamespace } from '@flotilla/manifests';
import { errorBodySchema, nullableTimestampSchema, timestampSchema } from './common.schemas';

/**
 * Requests and responses of the applications capability. The application file itself is
 * @flotilla/manifests' schema (parseApplicationSpec checks it); the domain re-checks every rule.
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

export { applicationFileSchema };

export const applicationNameParamsSchema = z.object({ name: z.string() });

export const listApplicationsQuerySchema = z.object({
  source: z.string().optional().describe('Only those of a source'),
});

export const applicationPinSchema = z.object({
  commit: z.string(),
  by: z.enum(['operator', 'file']).describe("Where the commit comes from: `apps pin` or the file's spec.pinnedCommit"),
  actor: z.string().nullable().describe("For an operator's pin: who pinned"),
  at: nullableTimestampSchema,
});

export const applicationSchema = z.object({
  name: z.string(),
  spec: applicationFileSchema.shape.spec.describe('The normalised spec (defaults applied)'),
  file: applicationFileSchema.describe('The application file as stored: `apps get -o yaml` prints it back'),
  pinnedCommit: z
    .string()
    .nullable()
    .describe("The commit every cluster stays on (an operator's pin wins over the file's); null = follow the branch"),
  pin: applicationPinSchema.nullable(),
  createdAt: timestampSchema,
  createdBy: z.string(),
  updatedAt: timestampSchema,
  updatedBy: z.string(),
  lastSyncRequest: z.object({ at: timestampSchema, by: z.string(), clusterId: z.string().nullable() }).nullable(),
});

export const applyOutcomes = ['created', 'changed', 'unchanged'] as const;
/** PUT /applications/{name} answers the application and what the request did. */
export const appliedApplicationSchema = applicationSchema.extend({ outcome: z.enum(applyOutcomes) });

export const syncAcceptedSchema = z.object({
  application: z.string(),
  clusterId: z.string().nullable(),
  accepted: z.literal(true),
});

/** The 400 of PUT /applications/{name}: every problem of the file at once (code invalid-application). */
export const invalidApplicationErrorSchema = errorBodySchema.extend({
  issues: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .describe('Every problem at once; field is the first one'),
});

export type ApplicationView = z.infer<typeof applicationSchema>;
export type AppliedApplication = z.infer<typeof appliedApplicationSchema>;
export type ApplyOutcome = (typeof applyOutcomes)[number];
export type SyncAccepted = z.infer<typeof syncAcceptedSchema>;
export type InvalidApplicationError = z.infer<typeof invalidApplicationErrorSchema>;

const policyList = (what: string, valid: (value: string) => boolean, pattern: string) =>
  z
    .array(z.string().refine(valid, { message: `must be ${pattern}` }))
    .max(256)
    .describe(what);

/** What an application may create: set by an admin (PUT), read by anyone (GET). */
export const objectPolicySchema = z
  .object({
    namespaces: policyList(
      "Namespaces a namespaced object may be in besides the target's namespace: names, `prefix*`, or `*`",
      isObjectPolicyNamespace,
      'a namespace name, a prefix ending in * or *',
    ),
    clusterScopedKinds: policyList(
      'Cluster-scoped kinds the application may create (none by default): `Kind` (core group), `group/Kind`, `group/*`, `*`',
      isObjectPolicyKind,
      'a kind: Kind (core group), group/Kind, group/* or *',
    ),
    namespacedKinds: policyList(
      'Namespaced kinds the application may create (`["*"]`, any, by default)',
      isObjectPolicyKind,
      'a kind: Kind (core group), group/Kind, group/* or *',
    ),
  })
  .strict();

export const applicationPolicySchema = z.object({
  application: z.string(),
  policy: objectPolicySchema,
  /** False: no admin set one, the default is in force. */
  set: z.boolean().describe('false: no admin has set a policy; this is the default'),
  setBy: z.string().optional().describe('The actor who set it'),
  setAt: timestampSchema.optional().describe('When it was set'),
});
export type ApplicationPolicyView = z.infer<typeof applicationPolicySchema>;
