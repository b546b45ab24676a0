// The built-in resources the emulator serves and the shape custom resources take from
// their CRDs: what discovery lists and what every request resolves against.
import { builtinSchema, customResourceSchema, DEFAULT_OBJECT_SCHEMA, type Schema } from './schema';
import type { NameRule } from './validation';

export interface ResourceType {
  group: string;
  version: string;
  /** Plural, as in URLs. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** A /status subresource exists: the main resource ignores status, /status ignores the rest. */
  hasStatus: boolean;
  /** metadata.generation is set on create and bumped when anything but metadata and status changes. */
  hasGeneration: boolean;
  nameRule: NameRule;
  schema: Schema;
  /** Served from a CRD: list items carry apiVersion and kind, as the real server writes them. */
  custom: boolean;
}

export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Identity of a stored resource across its served versions. */
export function storageKey(t: { group: string; resource: string }): string {
  return `${t.group}/${t.resource}`;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  opts: Partial<
    Pick<
      ResourceType,
      'namespaced' | 'verbs' | 'shortNames' | 'categories' | 'hasStatus' | 'hasGeneration' | 'nameRule' | 'singular'
    >
  > = {},
): ResourceType {
  const apiVersion = group ? `${group}/${version}` : version;
  return {
    group,
    version,
    resource,
    singular: opts.singular ?? kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced: opts.namespaced ?? true,
    verbs: opts.verbs ?? ALL_VERBS,
    shortNames: opts.shortNames,
    categories: opts.categories,
    hasStatus: opts.hasStatus ?? false,
    hasGeneration: opts.hasGeneration ?? false,
    nameRule: opts.nameRule ?? 'dns1123-subdomain',
    schema: builtinSchema(apiVersion, kind) ?? DEFAULT_OBJECT_SCHEMA,
    custom: false,
  };
}

const workload = { hasStatus: true, hasGeneration: true, categories: ['all'] };

export const BUILTIN_RESOURCES: ResourceType[] = [
  builtin('', 'v1', 'namespaces', 'Namespace', {
    namespaced: false,
    verbs: NAMESPACE_VERBS,
    shortNames: ['ns'],
    hasStatus: true,
    nameRule: 'dns1123-label',
  }),
  builtin('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  builtin('', 'v1', 'secrets', 'Secret'),
  builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  builtin('', 'v1', 'services', 'Service', {
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['svc'],
    categories: ['all'],
    hasStatus: true,
    nameRule: 'dns1035-label',
  }),
  builtin('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', { shortNames: ['pvc'], hasStatus: true }),
  builtin('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'], hasStatus: true }),
  builtin('', 'v1', 'events', 'Event', { shortNames: ['ev'], nameRule: 'any' }),
  builtin('apps', 'v1', 'deployments', 'Deployment', { ...workload, shortNames: ['deploy'] }),
  builtin('apps', 'v1', 'statefulsets', 'StatefulSet', { ...workload, shortNames: ['sts'] }),
  builtin('apps', 'v1', 'daemonsets', 'DaemonSet', { ...workload, shortNames: ['ds'] }),
  builtin('apps', 'v1', 'replicasets', 'ReplicaSet', { ...workload, shortNames: ['rs'] }),
  builtin('batch', 'v1', 'jobs', 'Job', { ...workload }),
  builtin('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', { nameRule: 'any' }),
  builtin('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', { nameRule: 'any' }),
  builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', { namespaced: false, nameRule: 'any' }),
  builtin('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', {
    namespaced: false,
    nameRule: 'any',
  }),
  builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', {
    namespaced: false,
    shortNames: ['crd', 'crds'],
    hasStatus: true,
    hasGeneration: true,
    singular: 'customresourcedefinition',
  }),
];

/** The resource types a CRD serves, one per served version (no conversion: only apiVersion is rewritten). */
export function typesFromCrd(crd: Record<string, unknown>): ResourceType[] {
  const spec = (crd.spec ?? {}) as {
    group?: string;
    names?: {
      plural?: string;
      singular?: string;
      kind?: string;
      listKind?: string;
      shortNames?: string[];
      categories?: string[];
    };
    scope?: string;
    versions?: {
      name: string;
      served?: boolean;
      storage?: boolean;
      schema?: { openAPIV3Schema?: unknown };
      subresources?: { status?: unknown };
    }[];
  };
  const names = spec.names ?? {};
  if (!spec.group || !names.plural || !names.kind) return [];
  return (spec.versions ?? [])
    .filter((v) => v.served !== false)
    .map((v) => ({
      group: spec.group!,
      version: v.name,
      resource: names.plural!,
      singular: names.singular ?? names.kind!.toLowerCase(),
      kind: names.kind!,
      listKind: names.listKind ?? `${names.kind}List`,
      namespaced: spec.scope !== 'Cluster',
      verbs: ALL_VERBS,
      shortNames: names.shortNames,
      categories: names.categories,
      hasStatus: v.subresources?.status !== undefined,
      hasGeneration: true,
      nameRule: 'dns1123-subdomain' as const,
      schema: customResourceSchema(v.schema?.openAPIV3Schema),
      custom: true,
    }));
}
