import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { KUBE_VERSION, startKubeApiServer, type KubeApiServer } from './kube-apiserver';

// Startup is 2-5 s once built; generous so a loaded CI machine does not flake.
const START_TIMEOUT = 120_000;
const external = Boolean(process.env.FLOTILLA_TEST_KUBECONFIG);

function clientsFor(server: KubeApiServer) {
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
    version: kc.makeApiClient(VersionApi),
  };
}

function uniqueNs(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('startKubeApiServer', () => {
  let server: KubeApiServer | undefined;
  const ns = uniqueNs('flotilla-harness');

  beforeAll(async () => {
    server = await startKubeApiServer();
  }, START_TIMEOUT);

  afterAll(async () => {
    if (external && server) {
      await clientsFor(server)
        .core.deleteNamespace({ name: ns })
        .catch(() => undefined);
    }
    await server?.stop();
  }, START_TIMEOUT);

  it('serves the built version over verified TLS', async () => {
    const { version } = clientsFor(server!);
    const info = await version.getCode();
    if (!external) expect(info.gitVersion).toBe(KUBE_VERSION);
    expect(server!.url).toMatch(/^https:\/\//);
    expect(server!.token).not.toBe('');
  });

  it('creates a namespace and a ConfigMap, and server-side apply records the field manager', async () => {
    const { core, objects } = clientsFor(server!);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'created' }, data: { a: '1' } },
    });
    expect((await core.readNamespacedConfigMap({ name: 'created', namespace: ns })).data).toEqual({ a: '1' });

    const applied: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'flotilla' } },
      data: { mode: 'apply' },
    };
    const result = await objects.patch(
      applied,
      undefined,
      undefined,
      'flotilla-agent',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(result.data).toEqual({ mode: 'apply' });
    const managers = (result.metadata?.managedFields ?? []).map((f) => `${f.manager}/${f.operation}`);
    expect(managers).toContain('flotilla-agent/Apply');

    // Another manager changing a field the agent owns conflicts unless forced: the
    // behaviour drift detection builds on.
    const conflict = await objects
      .patch(
        { ...applied, data: { mode: 'manual' } },
        undefined,
        undefined,
        'someone-else',
        false,
        PatchStrategy.ServerSideApply,
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(conflict).toBeInstanceOf(ApiException);
    expect((conflict as ApiException<unknown>).code).toBe(409);
  });
});

describe('startKubeApiServer with kube-controller-manager', () => {
  let server: KubeApiServer | undefined;

  beforeAll(async () => {
    server = await startKubeApiServer({ controllerManager: true });
  }, START_TIMEOUT);

  afterAll(async () => {
    await server?.stop();
  }, START_TIMEOUT);

  it('gives a Deployment a ReplicaSet and finishes deleting a namespace', async () => {
    const { core, apps } = clientsFor(server!);
    const ns = uniqueNs('flotilla-kcm');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
        },
      },
    });
    const rs = await eventually('a ReplicaSet for the Deployment', 30_000, async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace: ns });
      return list.items.find((r) =>
        r.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === 'web'),
      );
    });
    expect(rs.spec?.replicas).toBe(1);

    await core.deleteNamespace({ name: ns });
    await eventually('the namespace to be gone', 60_000, async () => {
      try {
        await core.readNamespace({ name: ns });
        return undefined;
      } catch (err) {
        return err instanceof ApiException && err.code === 404 ? true : undefined;
      }
    });
  });
});

describe('startKubeApiServer without binaries', () => {
  it('fails with the command that builds them', async () => {
    const saved = { cache: process.env.FLOTILLA_KUBE_CACHE, kubeconfig: process.env.FLOTILLA_TEST_KUBECONFIG };
    const empty = mkdtempSync(join(tmpdir(), 'flotilla-kube-empty-'));
    process.env.FLOTILLA_KUBE_CACHE = empty;
    delete process.env.FLOTILLA_TEST_KUBECONFIG;
    try {
      await expect(startKubeApiServer()).rejects.toThrow('run `bash test/kube/build.sh`');
    } finally {
      for (const [key, value] of [
        ['FLOTILLA_KUBE_CACHE', saved.cache],
        ['FLOTILLA_TEST_KUBECONFIG', saved.kubeconfig],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
