/** Identifies one Kubernetes object; what every event and the inventory name. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

/** A Kubernetes object as plain JSON, exactly as it travels on the wire. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `Kind` for the core group, `group/Kind` otherwise: the key of allowlists and ignored fields. */
export function groupKindOf(ref: Pick<ResourceRef, 'apiVersion' | 'kind'>): string {
  const group = groupOf(ref.apiVersion);
  return group ? `${group}/${ref.kind}` : ref.kind;
}

export function refOf(obj: KubeObject): ResourceRef {
  const ref: ResourceRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/**
 * Identity of an object across versions: the group, not the apiVersion, so that moving a
 * manifest from v1beta1 to v1 is the same object and is not pruned.
 */
export function refKey(ref: ResourceRef): string {
  return `${groupKindOf(ref)}|${ref.namespace ?? ''}|${ref.name}`;
}

export function formatRef(ref: ResourceRef): string {
  return `${groupKindOf(ref)} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
