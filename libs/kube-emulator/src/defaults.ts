// Server-side defaults of the built-in kinds, the ones a drift detector sees when it reads
// back what it applied (values as kube-apiserver v1.20 sets them).
import { isPlainObject } from './field-set';

type Obj = Record<string, unknown>;

function obj(parent: Obj, key: string): Obj {
  if (!isPlainObject(parent[key])) parent[key] = {};
  return parent[key] as Obj;
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function defaultContainer(c: Obj): void {
  if (Array.isArray(c.ports)) for (const p of c.ports as Obj[]) if (isPlainObject(p)) setDefault(p, 'protocol', 'TCP');
  setDefault(c, 'resources', {});
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const image = typeof c.image === 'string' ? c.image : '';
  const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
  setDefault(c, 'imagePullPolicy', tagged || image.includes('@') ? 'IfNotPresent' : 'Always');
}

function defaultPodSpec(spec: Obj): void {
  for (const key of ['containers', 'initContainers']) {
    if (Array.isArray(spec[key])) for (const c of spec[key] as Obj[]) if (isPlainObject(c)) defaultContainer(c);
  }
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
}

function defaultTemplate(spec: Obj): void {
  const template = obj(spec, 'template');
  const meta = obj(template, 'metadata');
  // Go serialises the zero time as null: real objects carry it in every pod template.
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultPodSpec(obj(template, 'spec'));
}

export function applyDefaults(kind: string, group: string, o: Obj): void {
  if (group === '' && kind === 'Namespace') {
    setDefault(obj(o, 'spec'), 'finalizers', ['kubernetes']);
    setDefault(obj(o, 'status'), 'phase', 'Active');
    return;
  }
  if (group === '' && kind === 'Secret') {
    setDefault(o, 'type', 'Opaque');
    return;
  }
  if (group === '' && kind === 'Service') {
    const spec = obj(o, 'spec');
    setDefault(spec, 'type', 'ClusterIP');
    setDefault(spec, 'sessionAffinity', 'None');
    if (Array.isArray(spec.ports)) {
      for (const p of spec.ports as Obj[]) {
        if (!isPlainObject(p)) continue;
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port);
      }
    }
    obj(o, 'status');
    if (!isPlainObject((o.status as Obj).loadBalancer)) (o.status as Obj).loadBalancer = {};
    return;
  }
  if (group === '' && kind === 'PersistentVolumeClaim') {
    setDefault(obj(o, 'spec'), 'volumeMode', 'Filesystem');
    setDefault(obj(o, 'status'), 'phase', 'Pending');
    return;
  }
  if (group === '' && kind === 'Pod') {
    defaultPodSpec(obj(o, 'spec'));
    setDefault(obj(o, 'status'), 'phase', 'Pending');
    return;
  }
  if (group === 'apps' || group === 'batch') {
    const spec = obj(o, 'spec');
    defaultTemplate(spec);
    obj(o, 'status');
    if (kind === 'Deployment') {
      setDefault(spec, 'replicas', 1);
      const strategy = obj(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', '25%');
        setDefault(ru, 'maxSurge', '25%');
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
    } else if (kind === 'StatefulSet') {
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'podManagementPolicy', 'OrderedReady');
      const us = obj(spec, 'updateStrategy');
      setDefault(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') setDefault(obj(us, 'rollingUpdate'), 'partition', 0);
      setDefault(spec, 'revisionHistoryLimit', 10);
    } else if (kind === 'DaemonSet') {
      const us = obj(spec, 'updateStrategy');
      setDefault(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') setDefault(obj(us, 'rollingUpdate'), 'maxUnavailable', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
    } else if (kind === 'ReplicaSet') {
      setDefault(spec, 'replicas', 1);
    } else if (kind === 'Job') {
      setDefault(spec, 'parallelism', 1);
      setDefault(spec, 'completions', 1);
      setDefault(spec, 'backoffLimit', 6);
      const podSpec = obj(obj(spec, 'template'), 'spec');
      // A Job's pods must not restart forever; the real server rejects Always, we default Never.
      if (podSpec.restartPolicy === 'Always') podSpec.restartPolicy = 'Never';
    }
  }
}
