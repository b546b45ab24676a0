import { groupKindOf, type KubeObject, type ResourceRef } from './resource-ref';

/**
 * Apply order by kind: what others depend on goes first (a namespace before what lives in
 * it, a CRD before its custom resources, a ServiceAccount and its RBAC before the
 * workloads that run as it, config before the pods that mount it). Deletion uses the
 * reverse. Anything not listed (custom resources included) goes last.
 */
const KIND_ORDER: readonly string[] = [
  'Namespace',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'scheduling.k8s.io/PriorityClass',
  'ResourceQuota',
  'LimitRange',
  'policy/PodSecurityPolicy',
  'policy/PodDisruptionBudget',
  'ServiceAccount',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'rbac.authorization.k8s.io/RoleBinding',
  'networking.k8s.io/NetworkPolicy',
  'ConfigMap',
  'Secret',
  'storage.k8s.io/StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Service',
  'Pod',
  'ReplicationController',
  'apps/ReplicaSet',
  'apps/Deployment',
  'autoscaling/HorizontalPodAutoscaler',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/Job',
  'batch/CronJob',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/Ingress',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
];

const RANK = new Map(KIND_ORDER.map((gk, i) => [gk, i]));

/** Position of a kind in the apply order; unknown kinds and custom resources share the last rank. */
export function applyRank(ref: Pick<ResourceRef, 'apiVersion' | 'kind'>): number {
  return RANK.get(groupKindOf(ref)) ?? KIND_ORDER.length;
}

/** Stable: objects of one rank keep the bundle's order, so a render is applied deterministically. */
export function sortForApply<T extends KubeObject | ResourceRef>(items: readonly T[]): T[] {
  return items
    .map((item, index) => ({ item, index, rank: applyRank(item) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((x) => x.item);
}

export function sortForDelete<T extends KubeObject | ResourceRef>(items: readonly T[]): T[] {
  return sortForApply(items).reverse();
}

/** Groups already sorted items into runs of equal rank: each run can be applied concurrently. */
export function applyPhases<T extends KubeObject | ResourceRef>(sorted: readonly T[]): T[][] {
  const phases: T[][] = [];
  let last = -1;
  for (const item of sorted) {
    const rank = applyRank(item);
    if (rank !== last || phases.length === 0) phases.push([]);
    phases[phases.length - 1]!.push(item);
    last = rank;
  }
  return phases;
}

export const isCrd = (ref: Pick<ResourceRef, 'apiVersion' | 'kind'>): boolean =>
  groupKindOf(ref) === 'apiextensions.k8s.io/CustomResourceDefinition';
