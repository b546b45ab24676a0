// What an application may create: the admin's policy of allowed namespaces and kinds, and the
// one rule that judges a bundle's objects against it. Pure and shared, because it is enforced
// twice: by the hub when it renders (a violation is a RenderFailed, no cluster moves) and by
// the agent before it touches its cluster (a bundle that carries a violation anyway is refused
// whole). Same rule, same words, on both sides.

import { getMember, isJsonObject } from './json';
import { apiGroup, builtInClusterScopedKinds, groupKind } from './kinds';

/**
 * Kinds are written as ignoredFields writes them: `<group>/<Kind>` (`apps/Deployment`), just
 * `<Kind>` for the core group (`ConfigMap`), `<group>/*` for a whole group, `*` for any.
 * Namespaces are names, a prefix ending in `*` (`team-*`), or `*` for any.
 */
export interface ObjectPolicy {
  /** Namespaces a namespaced object may be in, besides the target's namespace. */
  readonly namespaces: readonly string[];
  /** Cluster-scoped kinds the application may create (none by default). */
  readonly clusterScopedKinds: readonly string[];
  /** Namespaced kinds the application may create (any by default). */
  readonly namespacedKinds: readonly string[];
}

/** The policy of an application no admin has given one: its target namespace, any namespaced kind, nothing cluster-scoped. */
export const defaultObjectPolicy: ObjectPolicy = Object.freeze({
  namespaces: Object.freeze([]) as readonly string[],
  clusterScopedKinds: Object.freeze([]) as readonly string[],
  namespacedKinds: Object.freeze(['*']) as readonly string[],
});

export const objectPolicyRules = ['cluster-scoped-kind', 'namespaced-kind', 'namespace'] as const;
export type ObjectPolicyRule = (typeof objectPolicyRules)[number];

export interface ObjectPolicyViolation {
  /** Where the object is in the list checked. */
  index: number;
  /** The object as render errors name it: `rbac.authorization.k8s.io/ClusterRoleBinding grant`, `ConfigMap kube-system/x`. */
  object: string;
  rule: ObjectPolicyRule;
  /** `<object>: <rule, with what the policy allows>`: readable on its own in RenderFailed and SyncFailed. */
  reason: string;
}

export type ObjectScope = 'Cluster' | 'Namespaced';

export interface ObjectPolicyContext {
  /** The target's namespace for this cluster (variables substituted), when the target sets one. */
  targetNamespace?: string | undefined;
  /**
   * What the cluster says a kind's scope is (the agent's discovery); undefined when unknown.
   * Without it, the scope is taken from the built-in kinds, the bundle's own CRDs, and
   * otherwise from the object: one without a namespace is judged as cluster-scoped.
   */
  scopeOf?: ((ref: { apiVersion: string; kind: string }) => ObjectScope | undefined) | undefined;
}

const kindPattern = /^(\*|[A-Za-z][A-Za-z0-9]*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/(\*|[A-Za-z][A-Za-z0-9]*))$/;
const namespacePattern = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?|[a-z0-9][-a-z0-9]*\*)$/;

/** Whether a kind pattern is well formed (`Kind`, `group/Kind`, `group/*`, `*`). */
export function isObjectPolicyKind(pattern: string): boolean {
  return pattern.length <= 253 && kindPattern.test(pattern);
}

/** Whether a namespace pattern is well formed (a name, a `prefix*`, or `*`). */
export function isObjectPolicyNamespace(pattern: string): boolean {
  return pattern.length <= 63 && namespacePattern.test(pattern);
}

function kindMatches(patterns: readonly string[], apiVersion: string, kind: string): boolean {
  const gk = groupKind(apiVersion, kind);
  const group = apiGroup(apiVersion);
  return patterns.some((p) => p === '*' || p === gk || (group !== '' && p === `${group}/*`));
}

function namespaceMatches(patterns: readonly string[], namespace: string): boolean {
  return patterns.some(
    (p) => p === '*' || p === namespace || (p.endsWith('*') && namespace.startsWith(p.slice(0, -1))),
  );
}

/** The namespaces the policy lets the application use on one cluster: the target's and the listed ones. */
export function allowedNamespaces(policy: ObjectPolicy, targetNamespace: string | undefined): string[] {
  return targetNamespace === undefined ? [...policy.namespaces] : [targetNamespace, ...policy.namespaces];
}

function list(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

/** Kind scopes the bundle itself declares with CustomResourceDefinitions. */
function bundleCrdScopes(objects: readonly unknown[]): Map<string, ObjectScope> {
  const scopes = new Map<string, ObjectScope>();
  for (const object of objects) {
    if (!isJsonObject(object)) continue;
    const apiVersion = getMember(object, 'apiVersion');
    const kind = getMember(object, 'kind');
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
    if (groupKind(apiVersion, kind) !== 'apiextensions.k8s.io/CustomResourceDefinition') continue;
    const spec = getMember(object, 'spec');
    if (!isJsonObject(spec)) continue;
    const scope = getMember(spec, 'scope');
    const group = getMember(spec, 'group');
    const names = getMember(spec, 'names');
    const crdKind = isJsonObject(names) ? getMember(names, 'kind') : undefined;
    if ((scope === 'Cluster' || scope === 'Namespaced') && typeof group === 'string' && typeof crdKind === 'string')
      scopes.set(group === '' ? crdKind : `${group}/${crdKind}`, scope);
  }
  return scopes;
}

/**
 * Every object of a bundle the policy does not allow, in the bundle's order; none means the
 * bundle may be applied. The rules:
 * - a cluster-scoped object's kind must be in `clusterScopedKinds` (none by default); a
 *   `Namespace` object also names a namespace, which must be one the application may use;
 * - a namespaced object must be in the target's namespace or one of `namespaces`, and its
 *   kind in `namespacedKinds` (any by default).
 */
export function checkObjectPolicy(
  objects: readonly unknown[],
  policy: ObjectPolicy,
  context: ObjectPolicyContext = {},
): ObjectPolicyViolation[] {
  const crdScopes = bundleCrdScopes(objects);
  const namespaces = allowedNamespaces(policy, context.targetNamespace);
  const namespacesText = `allowed namespaces: ${list(namespaces)}${
    context.targetNamespace === undefined ? '' : ` (${context.targetNamespace}: the target's)`
  }`;
  const violations: ObjectPolicyViolation[] = [];
  objects.forEach((object, index) => {
    if (!isJsonObject(object)) return;
    const apiVersion = getMember(object, 'apiVersion');
    const kind = getMember(object, 'kind');
    const metadata = getMember(object, 'metadata');
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !isJsonObject(metadata)) return;
    const name = getMember(metadata, 'name');
    const rawNamespace = getMember(metadata, 'namespace');
    const namespace = typeof rawNamespace === 'string' && rawNamespace !== '' ? rawNamespace : undefined;
    const gk = groupKind(apiVersion, kind);
    const scope: ObjectScope =
      context.scopeOf?.({ apiVersion, kind }) ??
      crdScopes.get(gk) ??
      (builtInClusterScopedKinds.has(gk) ? 'Cluster' : namespace === undefined ? 'Cluster' : 'Namespaced');
    const label = `${gk} ${scope === 'Namespaced' && namespace ? `${namespace}/` : ''}${String(name)}`;
    const refuse = (rule: ObjectPolicyRule, why: string) =>
      violations.push({ index, object: label, rule, reason: `${label}: ${why}` });
    if (scope === 'Cluster') {
      if (!kindMatches(policy.clusterScopedKinds, apiVersion, kind)) {
        const unknown = !builtInClusterScopedKinds.has(gk) && !crdScopes.has(gk) && context.scopeOf === undefined;
        refuse(
          'cluster-scoped-kind',
          `cluster-scoped kind ${gk} is not allowed by the application's policy (allowed cluster-scoped kinds: ${list(
            policy.clusterScopedKinds,
          )})${unknown ? '; it has no namespace, so it is taken as cluster-scoped' : ''}`,
        );
      } else if (gk === 'Namespace' && typeof name === 'string' && !namespaceMatches(namespaces, name)) {
        refuse('namespace', `namespace ${name} is not one the application may use (${namespacesText})`);
      }
      return;
    }
    if (namespace !== undefined && !namespaceMatches(namespaces, namespace)) {
      refuse('namespace', `namespace ${namespace} is not allowed by the application's policy (${namespacesText})`);
      return;
    }
    if (!kindMatches(policy.namespacedKinds, apiVersion, kind)) {
      refuse(
        'namespaced-kind',
        `kind ${gk} is not allowed by the application's policy (allowed namespaced kinds: ${list(
          policy.namespacedKinds,
        )})`,
      );
    }
  });
  return violations;
}
