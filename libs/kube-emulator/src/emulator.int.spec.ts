// Behaviour of the emulator that the real server cannot show here (no kubelet, no
// controllers in the conformance run): simulated health, 410 on expired watches, many
// clusters behind one port, bearer tokens. Everything goes through client-node over HTTP.
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, Watch, type V1Deployment } from '@kubernetes/client-node';
import { FAIL_ANNOTATION, startKubeEmulator, type KubeEmulator } from './index';

jest.setTimeout(60_000);

let emulator: KubeEmulator;

beforeAll(async () => {
  emulator = await startKubeEmulator({ clusters: ['alpha', 'beta'], controllerDelayMs: 50, historySize: 20 });
});

afterAll(async () => {
  await emulator?.stop();
});

function kcFor(name: string, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(emulator.cluster(name).kubeconfigYaml({ token }));
  return kc;
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const deployment = (name: string, annotations?: Record<string, string>): V1Deployment => ({
  metadata: { name, annotations },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } },
  },
});

describe('virtual clusters', () => {
  it('serves each cluster under its own path prefix with its own store', async () => {
    const alpha = kcFor('alpha').makeApiClient(CoreV1Api);
    const beta = kcFor('beta').makeApiClient(CoreV1Api);
    await alpha.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'only-in-alpha' } } });
    await expect(beta.readNamespacedConfigMap({ name: 'only-in-alpha', namespace: 'default' })).rejects.toMatchObject({
      code: 404,
    });
    expect(emulator.cluster('alpha').url).toBe(`${emulator.url}/clusters/alpha`);
    const added = emulator.addCluster('gamma');
    expect(
      (await kcFor('gamma').makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name),
    ).toContain('default');
    expect(emulator.removeCluster(added.name)).toBe(true);
  });

  it('requires the configured bearer token when started with one', async () => {
    const locked = await startKubeEmulator({ clusters: ['c'], token: 's3cret' });
    try {
      const kc = (token?: string): CoreV1Api => {
        const k = new KubeConfig();
        k.loadFromString(locked.cluster('c').kubeconfigYaml({ token }));
        return k.makeApiClient(CoreV1Api);
      };
      await expect(kc('wrong').listNamespace()).rejects.toMatchObject({ code: 401 });
      expect((await kc('s3cret').listNamespace()).items.length).toBeGreaterThan(0);
    } finally {
      await locked.stop();
    }
  });
});

describe('simulated controllers', () => {
  it('makes a Deployment available, and keeps one annotated to fail unavailable', async () => {
    const apps = kcFor('alpha').makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('good') });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('bad', { [FAIL_ANNOTATION]: 'true' }),
    });
    const good = await eventually(
      () => apps.readNamespacedDeployment({ name: 'good', namespace: 'default' }),
      (d) => d.status?.observedGeneration === 1 && d.status?.availableReplicas === 2,
    );
    expect(good.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const bad = await eventually(
      () => apps.readNamespacedDeployment({ name: 'bad', namespace: 'default' }),
      (d) => d.status?.observedGeneration === 1,
    );
    expect(bad.status?.availableReplicas).toBeUndefined();
    expect(bad.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('False');
    // A spec change bumps generation and the controller catches up.
    await apps.patchNamespacedDeployment({
      name: 'good',
      namespace: 'default',
      body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    await eventually(
      () => apps.readNamespacedDeployment({ name: 'good', namespace: 'default' }),
      (d) => d.metadata?.generation === 2 && d.status?.observedGeneration === 2 && d.status?.readyReplicas === 3,
    );
  });

  it('completes Jobs, binds PVCs and gives LoadBalancers an address', async () => {
    const kc = kcFor('alpha');
    const batch = kc.makeApiClient(BatchV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await batch.createNamespacedJob({
      namespace: 'default',
      body: {
        metadata: { name: 'once' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1' }] } } },
      },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'default',
      body: {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
      },
    });
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
    });
    const job = await eventually(
      () => batch.readNamespacedJob({ name: 'once', namespace: 'default' }),
      (j) => j.status?.succeeded === 1,
    );
    expect(job.status?.conditions?.[0]).toMatchObject({ type: 'Complete', status: 'True' });
    const pvc = await eventually(
      () => core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'default' }),
      (p) => p.status?.phase === 'Bound',
    );
    expect(pvc.status?.capacity).toEqual({ storage: '2Gi' });
    const svc = await eventually(
      () => core.readNamespacedService({ name: 'lb', namespace: 'default' }),
      (s) => (s.status?.loadBalancer?.ingress?.length ?? 0) > 0,
    );
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./);
  });

  it('finishes deleting a namespace and everything in it', async () => {
    // A namespace controller slow enough that "Terminating" is still observable on a loaded
    // machine (with the suite's 50 ms the deletion can finish before the next request).
    const slow = await startKubeEmulator({ clusters: ['gamma'], controllerDelayMs: 2_000 });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(slow.cluster('gamma').kubeconfigYaml());
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
      await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'x' } } });
      const terminating = await core.deleteNamespace({ name: 'doomed' });
      expect((terminating as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
      await expect(
        core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'y' } } }),
      ).rejects.toMatchObject({ code: 403 });
      await eventually(
        () =>
          core.readNamespace({ name: 'doomed' }).then(
            () => 'present',
            (err: { code?: number }) => (err.code === 404 ? 'gone' : 'error'),
          ),
        (v) => v === 'gone',
      );
      expect(slow.cluster('gamma').api.store.list('/configmaps', 'doomed')).toHaveLength(0);
    } finally {
      await slow.stop();
    }
  });
});

describe('watch', () => {
  it('answers a watch from a resourceVersion older than the kept history with a 410 Expired event', async () => {
    const kc = kcFor('beta');
    const core = kc.makeApiClient(CoreV1Api);
    const start = Number((await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion);
    for (let i = 0; i < 25; i++)
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `churn-${i}` } } });
    const events: { type: string; code?: number; reason?: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      void new Watch(kc)
        .watch(
          '/api/v1/namespaces/default/configmaps',
          { resourceVersion: String(start) },
          (type, obj: { code?: number; reason?: string }) => {
            events.push({ type, code: obj.code, reason: obj.reason });
          },
          () => resolve(),
        )
        .catch(reject);
    });
    expect(events).toEqual([{ type: 'ERROR', code: 410, reason: 'Expired' }]);
  });
});
