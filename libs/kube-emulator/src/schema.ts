// Just enough of each kind's structural schema for server-side apply: which objects are
// structs (field names are not owned by themselves), which are maps (each key is owned),
// and which lists are atomic, sets or keyed by fields (k:{"name":...} in FieldsV1).
// Anything not described is a struct if it is an object and an atomic list if it is an
// array, which is what most of the built-in types are.

export type Schema =
  | { kind: 'struct'; fields?: Record<string, Schema>; atomic?: boolean }
  | { kind: 'map'; elem?: Schema }
  | { kind: 'list'; list: 'atomic' }
  | { kind: 'list'; list: 'set' }
  | { kind: 'list'; list: 'map'; keys: string[]; elem?: Schema; keyDefaults?: Record<string, unknown> }
  | { kind: 'scalar' }
  /** Unknown shape (custom resources without a schema): objects are maps, arrays atomic. */
  | { kind: 'deduced' };

const struct = (fields?: Record<string, Schema>): Schema => ({ kind: 'struct', fields });
const map = (elem?: Schema): Schema => ({ kind: 'map', elem });
const keyed = (keys: string[], elem?: Schema, keyDefaults?: Record<string, unknown>): Schema => ({
  kind: 'list',
  list: 'map',
  keys,
  elem,
  keyDefaults,
});
const atomic: Schema = { kind: 'list', list: 'atomic' };
const set: Schema = { kind: 'list', list: 'set' };
const atomicStruct: Schema = { kind: 'struct', atomic: true };

const objectMeta = struct({
  labels: map(),
  annotations: map(),
  finalizers: set,
  ownerReferences: keyed(['uid']),
});

const resources = struct({ limits: map(), requests: map() });

const container = struct({
  ports: keyed(['containerPort', 'protocol'], undefined, { protocol: 'TCP' }),
  env: keyed(['name']),
  volumeMounts: keyed(['mountPath']),
  volumeDevices: keyed(['devicePath']),
  resources,
});

const podSpec = struct({
  containers: keyed(['name'], container),
  initContainers: keyed(['name'], container),
  ephemeralContainers: keyed(['name'], container),
  volumes: keyed(['name']),
  imagePullSecrets: keyed(['name']),
  nodeSelector: map(),
  hostAliases: keyed(['ip']),
  topologySpreadConstraints: keyed(['topologyKey', 'whenUnsatisfiable']),
  overhead: map(),
});

const podTemplate = struct({ metadata: objectMeta, spec: podSpec });

// In v1.20 a workload's selector is atomic: `f:selector: {}`.
const workloadStatus = struct({ conditions: keyed(['type']) });
const workload = (extra: Record<string, Schema> = {}): Schema =>
  struct({
    metadata: objectMeta,
    spec: struct({ selector: atomicStruct, template: podTemplate, ...extra }),
    status: workloadStatus,
  });

const builtin: Record<string, Schema> = {
  'v1/ConfigMap': struct({ metadata: objectMeta, data: map(), binaryData: map() }),
  'v1/Secret': struct({ metadata: objectMeta, data: map(), stringData: map() }),
  'v1/Namespace': struct({ metadata: objectMeta, status: struct({ conditions: keyed(['type']) }) }),
  'v1/ServiceAccount': struct({ metadata: objectMeta, secrets: keyed(['name']), imagePullSecrets: atomic }),
  'v1/Service': struct({
    metadata: objectMeta,
    spec: struct({
      ports: keyed(['port', 'protocol'], undefined, { protocol: 'TCP' }),
      selector: map(),
      externalIPs: atomic,
      clusterIPs: atomic,
    }),
    status: struct({ conditions: keyed(['type']) }),
  }),
  'v1/PersistentVolumeClaim': struct({
    metadata: objectMeta,
    spec: struct({ resources, selector: atomicStruct }),
    status: struct({ capacity: map(), conditions: keyed(['type']) }),
  }),
  'v1/Pod': struct({ metadata: objectMeta, spec: podSpec, status: struct({ conditions: keyed(['type']) }) }),
  'apps/v1/Deployment': workload(),
  'apps/v1/ReplicaSet': workload(),
  'apps/v1/DaemonSet': workload(),
  'apps/v1/StatefulSet': workload({ volumeClaimTemplates: atomic }),
  'batch/v1/Job': workload(),
  'rbac.authorization.k8s.io/v1/Role': struct({ metadata: objectMeta, rules: atomic }),
  'rbac.authorization.k8s.io/v1/ClusterRole': struct({ metadata: objectMeta, rules: atomic }),
  'rbac.authorization.k8s.io/v1/RoleBinding': struct({ metadata: objectMeta, subjects: atomic }),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': struct({ metadata: objectMeta, subjects: atomic }),
  'apiextensions.k8s.io/v1/CustomResourceDefinition': struct({
    metadata: objectMeta,
    spec: struct({ versions: atomic, names: struct({ shortNames: atomic, categories: atomic }) }),
    status: struct({ conditions: keyed(['type']) }),
  }),
};

export function builtinSchema(apiVersion: string, kind: string): Schema | undefined {
  return builtin[`${apiVersion}/${kind}`];
}

/** The schema of a custom resource from its CRD's openAPIV3Schema, as the real server derives it. */
export function schemaFromOpenApi(node: unknown): Schema {
  if (!node || typeof node !== 'object') return { kind: 'deduced' };
  const s = node as Record<string, unknown>;
  if (s['x-kubernetes-preserve-unknown-fields'] === true && !s.properties) return { kind: 'deduced' };
  if (s.type === 'array') {
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'map')
      return keyed((s['x-kubernetes-list-map-keys'] as string[]) ?? [], schemaFromOpenApi(s.items));
    if (listType === 'set') return set;
    return atomic;
  }
  if (s.type === 'object' || s.properties || s.additionalProperties) {
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      return map(schemaFromOpenApi(s.additionalProperties));
    const fields: Record<string, Schema> = {};
    for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {}))
      fields[k] = schemaFromOpenApi(v);
    if (s['x-kubernetes-map-type'] === 'atomic') return atomicStruct;
    return struct(fields);
  }
  if (s.type === undefined) return { kind: 'deduced' };
  return { kind: 'scalar' };
}

/** A custom resource: the CRD schema's body, with ObjectMeta's shape for metadata. */
export function customResourceSchema(openApi: unknown): Schema {
  const body = schemaFromOpenApi(openApi);
  const fields = body.kind === 'struct' ? { ...body.fields } : {};
  fields.metadata = objectMeta;
  if (body.kind === 'deduced') {
    // Without a schema, the top level still has the fixed fields of every object.
    return { kind: 'struct', fields: { metadata: objectMeta, spec: { kind: 'deduced' }, status: { kind: 'deduced' } } };
  }
  return struct(fields);
}

export const DEFAULT_OBJECT_SCHEMA: Schema = struct({ metadata: objectMeta });
