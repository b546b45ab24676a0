import type { Health, HealthStatus } from './reconcile.types';
import { groupKindOf, type KubeObject } from './resource-ref';

/**
 * Health per kind, after kstatus (sigs.k8s.io/cli-utils/pkg/kstatus): a rollout is done
 * when the controller has seen the latest generation and every replica is updated, ready
 * and available; Jobs complete or fail; PVCs bind; LoadBalancer Services get an ingress;
 * CRDs are Established; anything else is healthy once it exists (unless it follows the
 * kstatus conventions: Reconciling / Stalled conditions, observedGeneration).
 */

// Worst last, as Argo CD orders them: one degraded resource makes the application degraded.
const SEVERITY: Record<HealthStatus, number> = { healthy: 0, progressing: 1, missing: 2, degraded: 3 };

export function worstHealth(healths: readonly Health[]): Health {
  let worst: Health = { status: 'healthy', message: 'all resources healthy' };
  for (const h of healths) if (SEVERITY[h.status] > SEVERITY[worst.status]) worst = h;
  return worst;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);
const conditions = (status: Obj): Condition[] =>
  Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];
const condition = (status: Obj, type: string): Condition | undefined => conditions(status).find((c) => c.type === type);

const healthy = (message = 'ready'): Health => ({ status: 'healthy', message });
const progressing = (message: string): Health => ({ status: 'progressing', message });
const degraded = (message: string): Health => ({ status: 'degraded', message });

export function assessHealth(live: KubeObject | undefined): Health {
  if (!live) return { status: 'missing', message: 'object does not exist' };
  if (live.metadata.deletionTimestamp) return progressing('being deleted');
  const status = obj(live.status);
  const spec = obj(live.spec);
  const generation = live.metadata.generation;
  const observed = status.observedGeneration;
  const stale = (): boolean => typeof generation === 'number' && typeof observed === 'number' && observed < generation;

  switch (groupKindOf(live)) {
    case 'apps/Deployment': {
      if (typeof observed !== 'number' || stale())
        return progressing('waiting for the controller to observe the latest generation');
      const p = condition(status, 'Progressing');
      if (p?.reason === 'ProgressDeadlineExceeded') return degraded(p.message ?? 'progress deadline exceeded');
      const want = num(spec.replicas, 1);
      const updated = num(status.updatedReplicas);
      if (updated < want) return progressing(`${updated} of ${want} replicas updated`);
      if (num(status.replicas) > updated)
        return progressing(`${num(status.replicas) - updated} old replicas pending termination`);
      if (num(status.readyReplicas) < want)
        return progressing(`${num(status.readyReplicas)} of ${want} replicas ready`);
      if (num(status.availableReplicas) < want) {
        // The controller's own reason (e.g. MinimumReplicasUnavailable) says more than a count.
        const available = condition(status, 'Available');
        const why = available?.status === 'False' && available.reason ? ` (${available.reason})` : '';
        return progressing(`${num(status.availableReplicas)} of ${want} replicas available${why}`);
      }
      return healthy(`${want} replicas available`);
    }
    case 'apps/StatefulSet': {
      if (typeof observed !== 'number' || stale())
        return progressing('waiting for the controller to observe the latest generation');
      const want = num(spec.replicas, 1);
      if (num(status.readyReplicas) < want)
        return progressing(`${num(status.readyReplicas)} of ${want} replicas ready`);
      const strategy = obj(spec.updateStrategy);
      if ((strategy.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const partition = num(obj(strategy.rollingUpdate).partition);
        if (num(status.updatedReplicas) < want - partition)
          return progressing(`${num(status.updatedReplicas)} of ${want - partition} replicas updated`);
        if (partition === 0 && status.updateRevision !== undefined && status.currentRevision !== status.updateRevision)
          return progressing('rollout in progress');
      }
      return healthy(`${want} replicas ready`);
    }
    case 'apps/DaemonSet': {
      if (typeof observed !== 'number' || stale())
        return progressing('waiting for the controller to observe the latest generation');
      const want = num(status.desiredNumberScheduled);
      if (num(status.updatedNumberScheduled) < want)
        return progressing(`${num(status.updatedNumberScheduled)} of ${want} pods updated`);
      if (num(status.numberReady) < want) return progressing(`${num(status.numberReady)} of ${want} pods ready`);
      if (num(status.numberAvailable) < want)
        return progressing(`${num(status.numberAvailable)} of ${want} pods available`);
      return healthy(`${want} pods available`);
    }
    case 'batch/Job': {
      const failed = condition(status, 'Failed');
      if (failed?.status === 'True') return degraded(failed.message ?? failed.reason ?? 'job failed');
      if (condition(status, 'Complete')?.status === 'True') return healthy('job complete');
      return progressing('job running');
    }
    case 'PersistentVolumeClaim':
      if (status.phase === 'Bound') return healthy('bound');
      if (status.phase === 'Lost') return degraded('claim lost its volume');
      return progressing(`phase ${String(status.phase ?? 'Pending')}`);
    case 'Service': {
      if (spec.type !== 'LoadBalancer') return healthy('exists');
      const ingress = obj(status.loadBalancer).ingress;
      return Array.isArray(ingress) && ingress.length > 0
        ? healthy('load balancer ready')
        : progressing('waiting for a load balancer');
    }
    case 'Pod': {
      if (status.phase === 'Succeeded') return healthy('completed');
      if (status.phase === 'Failed') return degraded(String(status.message ?? status.reason ?? 'pod failed'));
      if (status.phase === 'Running' && condition(status, 'Ready')?.status === 'True')
        return healthy('running and ready');
      return progressing(`phase ${String(status.phase ?? 'Pending')}`);
    }
    case 'apiextensions.k8s.io/CustomResourceDefinition': {
      if (condition(status, 'NamesAccepted')?.status === 'False')
        return degraded(condition(status, 'NamesAccepted')?.message ?? 'names not accepted');
      if (condition(status, 'Established')?.status === 'True') return healthy('established');
      return progressing('not yet established');
    }
    default: {
      if (stale()) return progressing('waiting for the controller to observe the latest generation');
      const stalled = condition(status, 'Stalled');
      if (stalled?.status === 'True') return degraded(stalled.message ?? stalled.reason ?? 'stalled');
      const reconciling = condition(status, 'Reconciling');
      if (reconciling?.status === 'True')
        return progressing(reconciling.message ?? reconciling.reason ?? 'reconciling');
      return healthy('exists');
    }
  }
}
