import { assessHealth, worstHealth } from './health.rules';
import type { KubeObject } from './resource-ref';

const obj = (apiVersion: string, kind: string, rest: Partial<KubeObject> = {}, generation = 1): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', generation },
  ...rest,
});

describe('health', () => {
  it('is missing when the object does not exist', () => {
    expect(assessHealth(undefined).status).toBe('missing');
  });

  describe('Deployment', () => {
    const dep = (status: Record<string, unknown>, generation = 2) =>
      obj('apps/v1', 'Deployment', { spec: { replicas: 3 }, status }, generation);
    const done = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };
    it('is healthy once the rollout is complete', () => expect(assessHealth(dep(done)).status).toBe('healthy'));
    it('progresses while the controller has not seen the latest generation', () =>
      expect(assessHealth(dep({ ...done, observedGeneration: 1 })).status).toBe('progressing'));
    it('progresses while replicas are not all available', () =>
      expect(assessHealth(dep({ ...done, availableReplicas: 2 })).status).toBe('progressing'));
    it('progresses while old replicas remain', () =>
      expect(assessHealth(dep({ ...done, replicas: 4 })).status).toBe('progressing'));
    it('is degraded past its progress deadline', () =>
      expect(
        assessHealth(
          dep({
            ...done,
            updatedReplicas: 1,
            conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
          }),
        ).status,
      ).toBe('degraded'));
    it('defaults replicas to 1', () =>
      expect(
        assessHealth(
          obj('apps/v1', 'Deployment', {
            spec: {},
            status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
          }),
        ).status,
      ).toBe('healthy'));
  });

  it('StatefulSet and DaemonSet follow their rollout counters', () => {
    const sts = (ready: number) =>
      obj('apps/v1', 'StatefulSet', {
        spec: { replicas: 2 },
        status: {
          observedGeneration: 1,
          readyReplicas: ready,
          updatedReplicas: 2,
          currentRevision: 'a',
          updateRevision: 'a',
        },
      });
    expect(assessHealth(sts(2)).status).toBe('healthy');
    expect(assessHealth(sts(1)).status).toBe('progressing');
    const ds = (ready: number) =>
      obj('apps/v1', 'DaemonSet', {
        status: {
          observedGeneration: 1,
          desiredNumberScheduled: 2,
          updatedNumberScheduled: 2,
          numberReady: ready,
          numberAvailable: ready,
        },
      });
    expect(assessHealth(ds(2)).status).toBe('healthy');
    expect(assessHealth(ds(0)).status).toBe('progressing');
  });

  it('Job is healthy when complete, degraded when failed, else progressing', () => {
    const job = (conditions: unknown[]) => obj('batch/v1', 'Job', { status: { conditions } });
    expect(assessHealth(job([{ type: 'Complete', status: 'True' }])).status).toBe('healthy');
    expect(assessHealth(job([{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }]))).toEqual({
      status: 'degraded',
      message: 'BackoffLimitExceeded',
    });
    expect(assessHealth(job([])).status).toBe('progressing');
  });

  it('PVC must be Bound; a LoadBalancer Service needs an ingress; other Services are healthy', () => {
    expect(assessHealth(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } })).status).toBe('healthy');
    expect(assessHealth(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } })).status).toBe(
      'progressing',
    );
    expect(assessHealth(obj('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: {} })).status).toBe(
      'progressing',
    );
    expect(
      assessHealth(
        obj('v1', 'Service', {
          spec: { type: 'LoadBalancer' },
          status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
        }),
      ).status,
    ).toBe('healthy');
    expect(assessHealth(obj('v1', 'Service', { spec: { type: 'ClusterIP' } })).status).toBe('healthy');
  });

  it('CRD must be Established', () => {
    const crd = (status: string) =>
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
        status: { conditions: [{ type: 'Established', status }] },
      });
    expect(assessHealth(crd('True')).status).toBe('healthy');
    expect(assessHealth(crd('False')).status).toBe('progressing');
  });

  it('anything else is healthy once it exists, unless it reports kstatus conditions', () => {
    expect(assessHealth(obj('v1', 'ConfigMap')).status).toBe('healthy');
    expect(
      assessHealth(obj('example.com/v1', 'Widget', { status: { conditions: [{ type: 'Stalled', status: 'True' }] } }))
        .status,
    ).toBe('degraded');
    expect(
      assessHealth(
        obj('example.com/v1', 'Widget', { status: { conditions: [{ type: 'Reconciling', status: 'True' }] } }),
      ).status,
    ).toBe('progressing');
    expect(
      assessHealth({ ...obj('v1', 'ConfigMap'), metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:00:00Z' } })
        .status,
    ).toBe('progressing');
  });

  it('application health is the worst of its resources', () => {
    expect(worstHealth([]).status).toBe('healthy');
    expect(
      worstHealth([
        { status: 'healthy', message: '' },
        { status: 'missing', message: 'm' },
        { status: 'progressing', message: '' },
      ]),
    ).toEqual({ status: 'missing', message: 'm' });
    expect(
      worstHealth([
        { status: 'missing', message: '' },
        { status: 'degraded', message: 'd' },
      ]).status,
    ).toBe('degraded');
  });
});
