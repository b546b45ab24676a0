import { findTarget, type ApplicationSpec, type ApplicationTarget } from '@flotilla/manifests';
import { matchesLabelSelector, type LabelSelector, type Labels } from '../label-selector';

/** A cluster as targeting sees it: its labels at one point of the log (and, for rendering, what its agent reported). */
export interface TargetableCluster {
  clusterId: string;
  name: string;
  labels: Labels;
  /** The Kubernetes version its agent reported at registration (`unknown` when it could not read it). */
  kubernetesVersion?: string | undefined;
  /** The API group versions its API server served at registration. */
  apiVersions?: readonly string[] | undefined;
}

export interface ClusterGroupSelector {
  name: string;
  selector: LabelSelector;
}

/** The cluster groups whose selector matches these labels (members follow labels). */
export function groupsOf(labels: Labels, groups: readonly ClusterGroupSelector[]): string[] {
  return groups.filter((group) => matchesLabelSelector(group.selector, labels)).map((group) => group.name);
}

/**
 * The target of `spec` that selects the cluster, or undefined: the first matching target
 * wins (libs/manifests findTarget), a group target matching through the group's selector
 * evaluated on the cluster's labels.
 */
export function targetOf(
  spec: Pick<ApplicationSpec, 'targets'>,
  cluster: Pick<TargetableCluster, 'labels'>,
  groups: readonly ClusterGroupSelector[],
): { index: number; target: ApplicationTarget } | undefined {
  return findTarget(spec, { labels: cluster.labels, groups: groupsOf(cluster.labels, groups) });
}

/** Every cluster the application targets, with its target, in the clusters' order. */
export function targetedClusters<C extends TargetableCluster>(
  spec: Pick<ApplicationSpec, 'targets'>,
  clusters: readonly C[],
  groups: readonly ClusterGroupSelector[],
): Array<{ cluster: C; index: number; target: ApplicationTarget }> {
  const out: Array<{ cluster: C; index: number; target: ApplicationTarget }> = [];
  for (const cluster of clusters) {
    const found = targetOf(spec, cluster, groups);
    if (found) out.push({ cluster, ...found });
  }
  return out;
}

/** Whether a commit touching `changedPaths` changes what lies under the application's `path`. */
export function touchesPath(appPath: string, changedPaths: readonly string[], truncated = false): boolean {
  if (truncated) return true;
  const root = appPath
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
  if (root === '') return changedPaths.length > 0;
  return changedPaths.some((changed) => changed === root || changed.startsWith(`${root}/`));
}

/** Whether the application names the group in one of its targets (a group change can move it). */
export function referencesGroup(spec: Pick<ApplicationSpec, 'targets'>, group: string): boolean {
  return spec.targets.some((target) => target.group === group);
}
