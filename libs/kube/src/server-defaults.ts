import { groupKindOf, type KubeObject } from './resource-ref';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function defaultProtocol(ports: unknown): void {
  if (!Array.isArray(ports)) return;
  for (const p of ports) if (isObj(p) && p.protocol === undefined) p.protocol = 'TCP';
}

function podSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  for (const list of ['containers', 'initContainers']) {
    const containers = spec[list];
    if (Array.isArray(containers)) for (const c of containers) if (isObj(c)) defaultProtocol(c.ports);
  }
}

const dig = (o: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (isObj(v) ? v[k] : undefined), o);

/**
 * Fills `protocol: TCP` where a port list is keyed by (port, protocol). Server-side apply
 * on Kubernetes before 1.22 rejects such a list item without its protocol ("associative
 * list with keys has an element that omits key field"), although TCP is the default the
 * server would store anyway (kubernetes/kubernetes#103544); setting it changes nothing on
 * newer servers. Mutates `body`.
 */
export function fillListMapKeys(body: KubeObject): void {
  switch (groupKindOf(body)) {
    case 'Service':
      defaultProtocol(dig(body, 'spec', 'ports'));
      return;
    case 'Pod':
      podSpec(body.spec);
      return;
    case 'batch/CronJob':
      podSpec(dig(body, 'spec', 'jobTemplate', 'spec', 'template', 'spec'));
      return;
    case 'apps/Deployment':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet':
    case 'apps/ReplicaSet':
    case 'batch/Job':
    case 'ReplicationController':
      podSpec(dig(body, 'spec', 'template', 'spec'));
      return;
  }
}
