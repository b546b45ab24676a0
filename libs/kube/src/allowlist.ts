import type { AgentScope } from './reconcile.types';
import { groupKindOf, groupOf, type ResourceRef } from './resource-ref';

function kindAllowed(scope: AgentScope, ref: Pick<ResourceRef, 'apiVersion' | 'kind'>): boolean {
  const gk = groupKindOf(ref);
  const group = groupOf(ref.apiVersion);
  return scope.kinds.some((k) => k === '*' || k === gk || (group !== '' && k === `${group}/*`));
}

export function namespaceAllowed(scope: AgentScope, namespace: string): boolean {
  return scope.namespaces.some((n) => n === '*' || n === namespace);
}

/**
 * Checked before any API call. A Namespace object is judged by its own name (creating it
 * is touching it). Whether a kind without a namespace is cluster-scoped is only known
 * after discovery, where the reconciler checks again.
 */
export function checkScope(scope: AgentScope, ref: ResourceRef): string | undefined {
  if (!kindAllowed(scope, ref)) return `kind ${groupKindOf(ref)} is outside the agent's allowlist`;
  const ns = ref.kind === 'Namespace' && groupOf(ref.apiVersion) === '' ? ref.name : ref.namespace;
  if (ns !== undefined && !namespaceAllowed(scope, ns)) return `namespace ${ns} is outside the agent's allowlist`;
  return undefined;
}
