// Simulated controllers, so that health moves as it would in a cluster: workloads become
// available, Jobs complete, PVCs bind, LoadBalancers get an address, namespaces finish
// terminating. They write through the store (watches see them) after a delay, and an
// object annotated `emulator.flotilla.dev/fail: "true"` is kept unhealthy.
import type { ChangeEvent, KubeObject } from './cluster-store';
import { deepEqual } from './field-set';
import { kubeTime } from './managed-fields';
import { storageKey, type ResourceType } from './resources';
import type { VirtualCluster } from './virtual-cluster';

/** Set to "true" on a Deployment, StatefulSet, DaemonSet, Job or PVC to keep it unhealthy. */
export const FAIL_ANNOTATION = 'emulator.flotilla.dev/fail';

type Obj = Record<string, unknown>;

const CONTROLLED = new Set([
  'apps/deployments',
  'apps/statefulsets',
  'apps/daemonsets',
  'apps/replicasets',
  'batch/jobs',
  '/persistentvolumeclaims',
  '/services',
  '/namespaces',
]);

export class SimulatedControllers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly cluster: VirtualCluster,
    private readonly delayMs: number,
    enabled = true,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = enabled ? cluster.store.subscribe((e) => this.onChange(e)) : () => undefined;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private onChange(e: ChangeEvent): void {
    if (e.type === 'DELETED' || !CONTROLLED.has(e.key)) return;
    const id = `${e.key}|${String(e.object.metadata.namespace ?? '')}|${String(e.object.metadata.name)}`;
    // One pending reconcile per object; it reads the latest state when it fires.
    if (this.timers.has(id)) return;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (!this.stopped)
        this.reconcile(e.key, e.object.metadata.namespace as string | undefined, e.object.metadata.name as string);
    }, this.delayMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  private reconcile(key: string, namespace: string | undefined, name: string): void {
    const [group, resource] = key.split('/') as [string, string];
    const type = this.cluster.typeOf(group, resource);
    if (!type) return;
    const live = this.cluster.store.get(storageKey(type), type.namespaced ? namespace : undefined, name);
    if (!live) return;
    if (key === '/namespaces') {
      if (live.metadata.deletionTimestamp) this.cluster.finishNamespaceDeletion(name);
      return;
    }
    const status = this.desiredStatus(type, live);
    if (status && !deepEqual(stripTimes((live as Obj).status), stripTimes(status)))
      this.cluster.writeStatus(type, namespace, name, status);
  }

  private desiredStatus(type: ResourceType, o: KubeObject): Obj | undefined {
    const failing = (o.metadata.annotations as Obj | undefined)?.[FAIL_ANNOTATION] === 'true';
    const spec = ((o as Obj).spec ?? {}) as Obj;
    const current = ((o as Obj).status ?? {}) as Obj;
    const generation = o.metadata.generation;
    const time = kubeTime(this.now());
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const condition = (t: string, status: string, reason: string, message: string): Obj => {
      const previous = ((current.conditions as Obj[] | undefined) ?? []).find((c) => c.type === t);
      const transition = previous && previous.status === status ? previous.lastTransitionTime : time;
      return { type: t, status, lastUpdateTime: time, lastTransitionTime: transition, reason, message };
    };
    switch (`${type.group}/${type.resource}`) {
      case 'apps/deployments': {
        const ready = failing ? 0 : replicas;
        const status: Obj = { observedGeneration: generation };
        if (replicas > 0) Object.assign(status, { replicas, updatedReplicas: replicas });
        if (ready > 0) Object.assign(status, { readyReplicas: ready, availableReplicas: ready });
        if (failing && replicas > 0) status.unavailableReplicas = replicas;
        status.conditions = failing
          ? [
              condition(
                'Available',
                'False',
                'MinimumReplicasUnavailable',
                'Deployment does not have minimum availability.',
              ),
              condition(
                'Progressing',
                'False',
                'ProgressDeadlineExceeded',
                `ReplicaSet "${String(o.metadata.name)}" has timed out progressing.`,
              ),
            ]
          : [
              condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
              condition(
                'Progressing',
                'True',
                'NewReplicaSetAvailable',
                `ReplicaSet "${String(o.metadata.name)}" has successfully progressed.`,
              ),
            ];
        return status;
      }
      case 'apps/statefulsets': {
        const ready = failing ? 0 : replicas;
        const revision = `${String(o.metadata.name)}-${String(generation)}`;
        const status: Obj = {
          observedGeneration: generation,
          replicas,
          currentReplicas: replicas,
          updatedReplicas: replicas,
          currentRevision: revision,
          updateRevision: revision,
          collisionCount: 0,
        };
        if (ready > 0) status.readyReplicas = ready;
        return status;
      }
      case 'apps/daemonsets': {
        const nodes = 1;
        const ready = failing ? 0 : nodes;
        return {
          currentNumberScheduled: nodes,
          numberMisscheduled: 0,
          desiredNumberScheduled: nodes,
          numberReady: ready,
          observedGeneration: generation,
          updatedNumberScheduled: nodes,
          ...(ready > 0 ? { numberAvailable: ready } : { numberUnavailable: nodes }),
        };
      }
      case 'apps/replicasets': {
        const ready = failing ? 0 : replicas;
        return {
          replicas,
          fullyLabeledReplicas: replicas,
          readyReplicas: ready,
          availableReplicas: ready,
          observedGeneration: generation,
        };
      }
      case 'batch/jobs': {
        if (current.completionTime || (current.failed && failing)) return undefined;
        const completions = typeof spec.completions === 'number' ? spec.completions : 1;
        const startTime = current.startTime ?? time;
        if (failing) {
          return {
            startTime,
            failed: 1,
            conditions: [
              {
                type: 'Failed',
                status: 'True',
                lastProbeTime: time,
                lastTransitionTime: time,
                reason: 'BackoffLimitExceeded',
                message: 'Job has reached the specified backoff limit',
              },
            ],
          };
        }
        return {
          conditions: [{ type: 'Complete', status: 'True', lastProbeTime: time, lastTransitionTime: time }],
          startTime,
          completionTime: time,
          succeeded: completions,
        };
      }
      case '/persistentvolumeclaims': {
        if (failing) return { ...current, phase: 'Pending' };
        const requested = ((spec.resources as Obj | undefined)?.requests as Obj | undefined)?.storage ?? '1Gi';
        return { phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: requested } };
      }
      case '/services': {
        if (spec.type !== 'LoadBalancer' || failing) return { loadBalancer: {} };
        const ip = String(spec.clusterIP ?? '10.96.0.1').replace(/^10\.96\./, '172.18.');
        return { loadBalancer: { ingress: [{ ip }] } };
      }
      default:
        return undefined;
    }
  }
}

/** Timestamps alone never justify a status write (that would loop forever). */
function stripTimes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripTimes);
  if (v && typeof v === 'object') {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v as Obj)) {
      if (
        k === 'lastUpdateTime' ||
        k === 'lastTransitionTime' ||
        k === 'lastProbeTime' ||
        k === 'startTime' ||
        k === 'completionTime'
      )
        continue;
      out[k] = stripTimes(x);
    }
    return out;
  }
  return v;
}
