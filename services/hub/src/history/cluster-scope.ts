import { NotFoundError } from '@flotilla/domain';
import { ClustersReadModel } from '../clusters/clusters.read-model';

/**
 * The clusters a query is about: one cluster, a cluster group's members (resolved now, from
 * the clusters read model: membership follows labels), both (their intersection), or any
 * (undefined). An empty list means none, and the query answers nothing.
 */
export async function resolveClusterScope(
  clusters: ClustersReadModel,
  scope: { cluster?: string; group?: string },
): Promise<string[] | undefined> {
  const ids = scope.cluster !== undefined ? [scope.cluster] : undefined;
  if (scope.group === undefined) return ids;
  const group = await clusters.getGroup(scope.group);
  if (!group) throw new NotFoundError(`cluster group "${scope.group}" not found`, { code: 'cluster-group-not-found' });
  const members = ClustersReadModel.membersOf(group, await clusters.listClusters()).map((c) => c.id);
  return ids === undefined ? members : ids.filter((id) => members.includes(id));
}
