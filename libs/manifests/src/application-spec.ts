// The application file (APPLICATION.md): what the CLI sends and the REST API accepts. Every
// field is checked here, unknown fields are refused (a misspelt `prune` must not silently
// mean "no prune"), and each problem names its field path.

import { z } from 'zod';

import { InvalidApplicationSpecError, type ApplicationSpecIssue } from './errors';
import { isValidJsonPointer } from './json-pointer';
import { isJsonObject, nonJsonReason, type JsonObject, type JsonValue } from './json';
import { jsonPatchOps, type JsonPatchOperation } from './json-patch';
import { matchesLabelSelector, type LabelSelector } from './label-selector';
import { variableSyntaxProblems } from './variables';
import { parseYamlDocuments } from './yaml-documents';
import { textBoundsIssues, valueBoundsIssues } from './input-bounds';

export const applicationApiVersion = 'flotilla.dev/v1';
export const applicationKind = 'Application';

// DNS-1123 label: names end up in NATS subject tokens, Kubernetes labels and URLs.
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelPrefix = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const commitSha = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
const kindName = /^[A-Z][A-Za-z0-9]*$/;
const groupName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const groupKindKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Z][A-Za-z0-9]*$/;

const name = (what: string) =>
  z
    .string()
    .max(63, `${what} must be at most 63 characters`)
    .regex(dnsLabel, `${what} must be lowercase letters, digits and '-', starting and ending with a letter or digit`);

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const local = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !labelPrefix.test(prefix))) return false;
  return local.length <= 63 && labelName.test(local);
}

const labelKey = z.string().refine(isLabelKey, 'must be a Kubernetes label key ([prefix/]name)');
const labelValue = z
  .string()
  .refine((value) => value === '' || (value.length <= 63 && labelName.test(value)), 'must be a Kubernetes label value');

const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(labelKey, labelValue).optional(),
  matchExpressions: z
    .array(
      z
        .strictObject({
          key: labelKey,
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(labelValue).optional(),
        })
        .superRefine((requirement, ctx) => {
          const count = requirement.values?.length ?? 0;
          if ((requirement.operator === 'In' || requirement.operator === 'NotIn') && count === 0) {
            ctx.addIssue({
              code: 'custom',
              path: ['values'],
              message: `operator ${requirement.operator} needs at least one value`,
            });
          }
          if ((requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist') && count > 0) {
            ctx.addIssue({
              code: 'custom',
              path: ['values'],
              message: `operator ${requirement.operator} takes no values`,
            });
          }
        }),
    )
    .optional(),
}) satisfies z.ZodType<LabelSelector>;

const jsonValue = z.custom<JsonValue>(
  (value) => value !== undefined && nonJsonReason(value) === undefined,
  'must be plain JSON data',
);
const jsonPointer = z
  .string()
  .refine(isValidJsonPointer, 'must be a JSON pointer ("" or "/a/b", with ~0 for "~" and ~1 for "/")');

const jsonPatchOperation = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ op: z.literal('add'), path: jsonPointer, value: jsonValue }),
    z.strictObject({ op: z.literal('remove'), path: jsonPointer }),
    z.strictObject({ op: z.literal('replace'), path: jsonPointer, value: jsonValue }),
    z.strictObject({ op: z.literal('move'), from: jsonPointer, path: jsonPointer }),
    z.strictObject({ op: z.literal('copy'), from: jsonPointer, path: jsonPointer }),
    z.strictObject({ op: z.literal('test'), path: jsonPointer, value: jsonValue }),
  ],
  { error: () => `op must be one of ${jsonPatchOps.join(', ')}` },
) satisfies z.ZodType<JsonPatchOperation>;

const patchSchema = z
  .strictObject({
    target: z.strictObject({
      kind: z.string().regex(kindName, 'must be a Kubernetes kind such as Deployment'),
      name: z.string().min(1).optional(),
      /** API group ("" for core); narrows the selection when two groups share a kind. */
      group: z.union([z.literal(''), z.string().regex(groupName, 'must be an API group such as apps')]).optional(),
    }),
    merge: z
      .custom<JsonObject>(
        (value) => isJsonObject(value) && nonJsonReason(value) === undefined,
        'must be a mapping (RFC 7386 merge patch)',
      )
      .optional(),
    jsonPatch: z.array(jsonPatchOperation).min(1, 'must hold at least one operation').optional(),
  })
  .superRefine((patch, ctx) => {
    if ((patch.merge === undefined) === (patch.jsonPatch === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a patch has exactly one of merge or jsonPatch' });
    }
    // Variable references can be checked now; whether a label exists is known only per cluster.
    const walk = (value: JsonValue, path: PropertyKey[]) => {
      if (typeof value === 'string') {
        for (const message of variableSyntaxProblems(value)) ctx.addIssue({ code: 'custom', path, message });
      } else if (Array.isArray(value)) {
        value.forEach((item, i) => walk(item, [...path, i]));
      } else if (isJsonObject(value)) {
        for (const key of Object.keys(value)) walk(value[key]!, [...path, key]);
      }
    };
    if (patch.merge !== undefined) walk(patch.merge, ['merge']);
    patch.jsonPatch?.forEach((operation, i) => {
      if ('value' in operation) walk(operation.value, ['jsonPatch', i, 'value']);
    });
  });

export type ApplicationPatch = z.output<typeof patchSchema>;

/** A relative path inside the source (or the application path): "/"-separated, no "..", ".", empty or absolute segments. */
const relativePath = (what: string) =>
  z
    .string()
    .transform(normalisePath)
    .refine(
      (path) =>
        path !== '' &&
        !path.includes('\\') &&
        path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'),
      `${what} must be a relative path, "/"-separated, without "..", "." or empty segments`,
    );

const globPattern = z
  .string()
  .min(1)
  .refine((glob) => !glob.startsWith('/') && !glob.split('/').includes('..'), 'must be a relative glob without ".."');

/** Which files of a plain directory are manifests (APPLICATION.md, "Directory rules"). */
const directorySchema = z.strictObject({
  /** Nested directories are read too (the default). */
  recursive: z.boolean().default(true),
  /** Globs relative to the application path; a file is read when it matches one (default: every .yaml, .yml and .json file). */
  include: z.array(globPattern).default([]),
  /** Globs relative to the application path; a file matching one is never read, even when included. */
  exclude: z.array(globPattern).default([]),
});

export type DirectoryRules = z.output<typeof directorySchema>;

/** Helm settings: the application's, then each target's on top (values files appended, values merged). */
const helmSchema = z.strictObject({
  /** The release name (`.Release.Name`); the application's name by default. */
  releaseName: name('a release name').optional(),
  /** Values files, relative to the chart directory, applied in order after the chart's values.yaml. */
  valuesFiles: z.array(relativePath('a values file')).default([]),
  /** Inline values, applied last; string values may use cluster variables. */
  values: z
    .custom<JsonObject>(
      (value) => isJsonObject(value) && nonJsonReason(value) === undefined,
      'must be a mapping of Helm values',
    )
    .optional(),
});

export type HelmSettings = z.output<typeof helmSchema>;

/** An OCI registry repository: `oci://host[:port]/path`, no credentials, query or fragment in it. */
function isOciRepository(value: string): boolean {
  if (!value.startsWith('oci://')) return false;
  try {
    const url = new URL(value);
    return url.host !== '' && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

/**
 * A chart from a Helm chart repository (index.yaml over HTTP) or an OCI registry, instead of
 * the files at `path`.
 */
const chartSchema = z.strictObject({
  /**
   * The repository's URL: http or https, where its index.yaml is; or `oci://host/path`, the
   * registry repository the chart was pushed to (`helm push chart.tgz oci://host/path`).
   */
  repository: z
    .string()
    .url()
    .refine(
      (url) => /^https?:\/\//.test(url) || isOciRepository(url),
      'must be an http or https URL, or oci://host/path',
    ),
  name: z.string().regex(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/, 'must be a chart name'),
  /** An exact version: what is deployed must not change when the repository publishes. */
  version: z.string().regex(/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$/, 'must be an exact chart version such as 1.2.3'),
});

export type ChartReference = z.output<typeof chartSchema>;

export const rendererKinds = ['plain', 'kustomize', 'helm'] as const;
export type RendererKind = (typeof rendererKinds)[number];

function checkVariables(value: JsonValue, path: PropertyKey[], ctx: z.RefinementCtx): void {
  if (typeof value === 'string') {
    for (const message of variableSyntaxProblems(value)) ctx.addIssue({ code: 'custom', path, message });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkVariables(item, [...path, i], ctx));
  } else if (isJsonObject(value)) {
    for (const key of Object.keys(value)) checkVariables(value[key]!, [...path, key], ctx);
  }
}

const helmWithVariables = helmSchema.superRefine((helm, ctx) => {
  if (helm.values !== undefined) checkVariables(helm.values, ['values'], ctx);
});

const targetSchema = z
  .strictObject({
    group: name('a cluster group name').optional(),
    selector: labelSelectorSchema.optional(),
    /** Set on namespaced objects that have none; may use cluster variables. */
    namespace: z
      .string()
      .superRefine((namespace, ctx) => {
        const problems = variableSyntaxProblems(namespace);
        for (const message of problems) ctx.addIssue({ code: 'custom', message });
        // Checked with each reference stood in for by a letter; the rendered value is checked again per cluster.
        const shape = namespace.replace(/\$\{[^}]*\}/g, 'x');
        if (problems.length === 0 && !(shape.length <= 63 && dnsLabel.test(shape))) {
          ctx.addIssue({ code: 'custom', message: 'must be a namespace name (lowercase letters, digits and -)' });
        }
      })
      .optional(),
    patches: z.array(patchSchema).default([]),
    /** Kustomize: the kustomization to build, relative to the application path (an overlay). */
    overlay: relativePath('overlay').optional(),
    /** Helm: this target's release name, values files and values, on top of the application's. */
    helm: helmWithVariables.optional(),
  })
  .superRefine((target, ctx) => {
    if ((target.group === undefined) === (target.selector === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a target has exactly one of group or selector' });
    }
  });

export type ApplicationTarget = z.output<typeof targetSchema>;

export const driftModes = ['detect', 'correct'] as const;
export type DriftMode = (typeof driftModes)[number];

const syncPolicySchema = z
  .strictObject({
    /** Off by default: a new application changes nothing in any cluster until someone opts in. */
    automated: z.boolean().default(false),
    /** Off by default: deleting a file in git deletes nothing in a cluster unless asked. */
    prune: z.boolean().default(false),
    /** `detect` by default: drift is reported; `correct` re-applies git's state. */
    driftMode: z.enum(driftModes).default('detect'),
    /** JSON pointers per kind (`apps/Deployment`, or `Service` for the core group) that drift detection ignores. */
    ignoredFields: z
      .record(
        z.string().regex(groupKindKey, 'must be <group>/<Kind> such as apps/Deployment, or <Kind> for the core group'),
        z.array(jsonPointer.refine((pointer) => pointer !== '', 'cannot ignore the whole object')),
      )
      .default({}),
    /**
     * Off when absent: an object that exists on the cluster and is not this application's (made
     * by hand, by another tool or left by another application) is a conflict, left alone. On:
     * such objects are taken over. One object can opt in with the annotation `flotilla.dev/adopt: "true"`.
     */
    adopt: z.boolean().optional(),
    /** Off when absent: the target namespace must exist. On: the agent creates it when missing. */
    createNamespace: z.boolean().optional(),
  })
  .default({ automated: false, prune: false, driftMode: 'detect', ignoredFields: {} });

export type SyncPolicy = z.output<typeof syncPolicySchema>;

function normalisePath(path: string): string {
  return path
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}

const specSchema = z
  .strictObject({
    /** Name of a source registered on the hub (a git repository and branch). */
    source: name('a source name'),
    /** Directory inside the source; "." or "" for its root. */
    path: z
      .string()
      .transform(normalisePath)
      .refine(
        (path) =>
          path === '' ||
          (!path.includes('\\') &&
            path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')),
        'must be a relative directory inside the source, "/"-separated, without "..", "." or empty segments',
      ),
    /** A full commit id: the application stays on it (rollback) until unpinned. */
    pinnedCommit: z.string().regex(commitSha, 'must be a full lowercase commit id (40 or 64 hex digits)').optional(),
    /** How the files at `path` become objects; detected from them when absent (APPLICATION.md). */
    renderer: z.enum(rendererKinds).optional(),
    /** Plain directories: which files are manifests. */
    directory: directorySchema.optional(),
    /** Helm charts: release name, values files and values for every target. */
    helm: helmWithVariables.optional(),
    /** A chart from a chart repository; `path` then holds only values files (if any). */
    chart: chartSchema.optional(),
    targets: z.array(targetSchema).min(1, 'must name at least one target'),
    syncPolicy: syncPolicySchema,
  })
  .superRefine((spec, ctx) => {
    if (spec.chart !== undefined && spec.renderer !== undefined && spec.renderer !== 'helm') {
      ctx.addIssue({ code: 'custom', path: ['renderer'], message: 'a chart from a repository is rendered with helm' });
    }
    if (spec.directory !== undefined && (spec.renderer === 'helm' || spec.renderer === 'kustomize' || spec.chart)) {
      ctx.addIssue({ code: 'custom', path: ['directory'], message: 'directory rules apply to plain manifests only' });
    }
  });

export type ApplicationSpec = z.output<typeof specSchema>;

/** Exported for the REST contract's OpenAPI document (@flotilla/api); parse with parseApplicationSpec. */
export const applicationSchema = z.strictObject({
  apiVersion: z.literal(applicationApiVersion, `must be ${applicationApiVersion}`),
  kind: z.literal(applicationKind, `must be ${applicationKind}`),
  metadata: z.strictObject({ name: name('an application name') }),
  spec: specSchema,
});

export type Application = z.output<typeof applicationSchema>;

/** `spec.targets[0].patches[1]`, `spec.syncPolicy.ignoredFields["apps/Deployment"][0]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const token of path) {
    if (typeof token === 'number') out += `[${token}]`;
    else if (typeof token === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(token))
      out += out === '' ? token : `.${token}`;
    else out += `[${JSON.stringify(String(token))}]`;
  }
  return out;
}

function toIssues(error: z.ZodError): ApplicationSpecIssue[] {
  const issues: ApplicationSpecIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ path: formatIssuePath([...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_key') {
      // A record key: zod nests the key's own issues; their messages say what a key must be.
      const messages = issue.issues.map((nested) => nested.message).join('; ');
      issues.push({ path: formatIssuePath(issue.path), message: messages || issue.message });
    } else {
      issues.push({ path: formatIssuePath(issue.path), message: issue.message });
    }
  }
  return issues;
}

/**
 * The application described by a YAML (or JSON) text or an already parsed object (a REST
 * body), with defaults applied; throws InvalidApplicationSpecError listing every problem.
 */
export function parseApplicationSpec(input: string | unknown): Application {
  let data: unknown = input;
  // Bounded before any parser or validator works on it (input-bounds.ts).
  const outOfBounds = typeof input === 'string' ? textBoundsIssues(input) : valueBoundsIssues(input);
  if (outOfBounds) throw new InvalidApplicationSpecError(outOfBounds);
  if (typeof input === 'string') {
    const documents = parseYamlDocuments(input).filter((document) => !document.empty);
    const broken = documents.flatMap((document) => ('error' in document ? [document.error] : []));
    if (broken.length > 0)
      throw new InvalidApplicationSpecError(
        broken.map((message) => ({ path: '', message: `invalid YAML: ${message}` })),
      );
    if (documents.length !== 1) {
      throw new InvalidApplicationSpecError([
        { path: '', message: `an application file holds exactly one document, found ${documents.length}` },
      ]);
    }
    data = (documents[0] as { value: JsonValue }).value;
    const tooLarge = valueBoundsIssues(data);
    if (tooLarge) throw new InvalidApplicationSpecError(tooLarge);
  }
  const result = applicationSchema.safeParse(data, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
  });
  if (!result.success) throw new InvalidApplicationSpecError(toIssues(result.error), { cause: result.error });
  return result.data;
}

/** The first target of `spec` that selects the cluster (targets are tried in file order), or undefined. */
export function findTarget(
  spec: Pick<ApplicationSpec, 'targets'>,
  cluster: { readonly labels: Readonly<Record<string, string>>; readonly groups: readonly string[] },
): { index: number; target: ApplicationTarget } | undefined {
  const index = spec.targets.findIndex((target) =>
    target.group !== undefined
      ? cluster.groups.includes(target.group)
      : matchesLabelSelector(target.selector ?? {}, cluster.labels),
  );
  return index < 0 ? undefined : { index, target: spec.targets[index]! };
}
