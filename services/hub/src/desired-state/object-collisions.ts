import { apiGroup, groupKind } from '@flotilla/manifests';

/**
 * Two applications must never manage one object on one cluster: their agents would overwrite
 * each other's fields at every sync, and a prune by one would delete what the other runs.
 * Checked at render, against what the cluster is assigned now: the application already
 * assigned keeps the object, the one rendered later fails to render there (and, all or
 * nothing, moves nowhere) with a reason naming the other.
 */

/** Group, kind, namespace and name: the identity the API server gives an object. */
export function objectKey(object: unknown): string | undefined {
  const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof o?.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string')
    return undefined;
  const namespace = typeof o.metadata.namespace === 'string' ? o.metadata.namespace : '';
  return [apiGroup(o.apiVersion), o.kind, namespace, o.metadata.name].join('\u0000');
}

function describe(object: unknown): string {
  const o = object as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
  const namespace = typeof o.metadata.namespace === 'string' && o.metadata.namespace ? `${o.metadata.namespace}/` : '';
  return `${groupKind(o.apiVersion, o.kind)} ${namespace}${o.metadata.name}`;
}

/** One sentence per object of `objects` that another application on the cluster already has. */
export function collisions(
  objects: readonly unknown[],
  others: ReadonlyMap<string, string>,
  clusterName: string,
): string[] {
  const out: string[] = [];
  for (const object of objects) {
    const key = objectKey(object);
    const other = key === undefined ? undefined : others.get(key);
    if (other === undefined) continue;
    out.push(
      `${describe(object)} is already managed on cluster ${clusterName} by application ${other}: ` +
        `two applications cannot manage one object; remove it from one of them`,
    );
  }
  return out;
}
