import { randomBytes } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type RequestContext,
} from '@kubernetes/client-node';
// The harness is not exported from @flotilla/testing's index yet; import it from its folder.
import { startKubeApiServer, type KubeApiServer } from '@flotilla/testing';
import { Reconciler, type ReconcilerOptions } from './reconciler';
import type { DriftDetected, ReconcileEvent } from './reconcile.events';
import type { Bundle, SyncPolicy } from './reconcile.types';
import type { KubeObject } from './resource-ref';
import { ADOPT_ANNOTATION, APPLICATION_LABEL, BUNDLE_ANNOTATION, MANAGED_BY_LABEL } from './labels';

jest.setTimeout(120_000);

/** A real client that also records the URL of every request it authenticates (i.e. every request). */
class CountingKubeConfig extends KubeConfig {
  readonly urls: string[] = [];
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    this.urls.push(context.getUrl());
    return super.applySecurityAuthentication(context);
  }
}

const dns = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const SECRET_VALUE = 's3cr3t-do-not-leak';

let server: KubeApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let inventoryNamespace: string;

beforeAll(async () => {
  try {
    server = await startKubeApiServer();
  } catch (err) {
    throw new Error(
      `cannot start the real kube-apiserver (build it with \`bash test/kube/build.sh\`, or set FLOTILLA_TEST_KUBECONFIG): ${String(err)}`,
      { cause: err },
    );
  }
  kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  inventoryNamespace = dns('flotilla-system');
  await core.createNamespace({ body: { metadata: { name: inventoryNamespace } } });
});

afterAll(async () => {
  await server?.stop();
});

const policy = (over: Partial<SyncPolicy> = {}): SyncPolicy => ({
  prune: true,
  driftMode: 'detect',
  ignoredFields: {},
  ...over,
});

function reconciler(
  over: Partial<ReconcilerOptions> = {},
  config: KubeConfig = kc,
): { r: Reconciler; events: ReconcileEvent[] } {
  const events: ReconcileEvent[] = [];
  const r = new Reconciler(config, {
    scope: { namespaces: ['*'], kinds: ['*'] },
    inventoryNamespace,
    onEvent: (e) => events.push(e),
    durations: { crdEstablishedTimeoutMs: 30_000 },
    ...over,
  });
  return { r, events };
}

const configMap = (ns: string, name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

const deployment = (ns: string, name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      // cpu '0.5' is stored as '500m': a normalisation that must not look like drift.
      spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources: { limits: { cpu: '0.5' } } }] },
    },
  },
});

async function namespace(): Promise<string> {
  const ns = dns('app');
  await core.createNamespace({ body: { metadata: { name: ns } } });
  return ns;
}

async function inventoryOf(
  app: string,
): Promise<{ entries: { kind: string; name: string; namespace?: string; uid?: string }[] } | undefined> {
  try {
    const cm = await core.readNamespacedConfigMap({ name: `flotilla-inventory-${app}`, namespace: inventoryNamespace });
    return JSON.parse(cm.data!['inventory.json']!);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** What `kubectl edit` does: an update under another field manager. */
async function kubectlEditConfigMap(ns: string, name: string, patch: object): Promise<void> {
  await core.patchNamespacedConfigMap(
    { name, namespace: ns, body: patch, fieldManager: 'kubectl-edit' },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

async function readConfigMap(ns: string, name: string) {
  try {
    return await core.readNamespacedConfigMap({ name, namespace: ns });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

describe('Reconciler against the real kube-apiserver', () => {
  it('applies a multi-resource application in order, reports health, and a re-apply changes nothing', async () => {
    const app = dns('shop');
    const ns = dns('shop-ns');
    const group = `${dns('g')}.flotilla.test`;
    const objects: KubeObject[] = [
      // Deliberately out of order: the reconciler must sort.
      { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } },
      deployment(ns, 'web', 2),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: ns },
        stringData: { password: SECRET_VALUE },
      },
      configMap(ns, 'settings', { mode: 'prod' }),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'web', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web' },
        subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: ns }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'web', namespace: ns },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: ns } },
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              // A wire key client-node's typed serializer would rename and drop.
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                },
              },
            },
          ],
        },
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    ];
    const bundle: Bundle = { digest: 'sha256:one', objects };
    const { r, events } = reconciler();

    const first = await r.sync(app, bundle, policy());
    expect(first.results.filter((x) => x.action !== 'created')).toEqual([]);
    expect(first.results.map((x) => x.ref.kind)).toEqual([
      'Namespace',
      'CustomResourceDefinition',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Secret',
      'Service',
      'Deployment',
      'Widget',
    ]);
    expect(first.ok).toBe(true);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['SyncStarted', 'SyncSucceeded', 'HealthChanged']),
    );

    const cm = await core.readNamespacedConfigMap({ name: 'settings', namespace: ns });
    expect(cm.metadata?.labels).toMatchObject({ [MANAGED_BY_LABEL]: 'flotilla', [APPLICATION_LABEL]: app });
    expect(cm.metadata?.annotations?.[BUNDLE_ANNOTATION]).toBe('sha256:one');
    expect(cm.metadata?.managedFields?.some((f) => f.manager === 'flotilla-agent' && f.operation === 'Apply')).toBe(
      true,
    );
    const inv = await inventoryOf(app);
    expect(inv?.entries).toHaveLength(10);
    expect(inv?.entries.every((e) => typeof e.uid === 'string' && e.uid.length > 0)).toBe(true);

    // No kubelet or controller here: the Deployment waits, so the app is progressing.
    expect(first.resources.find((x) => x.ref.kind === 'Deployment')?.health.status).toBe('progressing');
    expect(first.health.status).toBe('progressing');
    expect(first.resources.find((x) => x.ref.kind === 'CustomResourceDefinition')?.health.status).toBe('healthy');

    // Write the rollout status as the deployment controller would: the app turns healthy.
    const dep = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    await apps.replaceNamespacedDeploymentStatus({
      name: 'web',
      namespace: ns,
      body: {
        ...dep,
        status: {
          observedGeneration: dep.metadata!.generation,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
        },
      },
    });
    events.length = 0;
    const check = await r.checkDrift(app);
    expect(check.events.filter((e) => e.type.startsWith('Drift'))).toEqual([]);
    expect(check.events).toContainEqual(
      expect.objectContaining({
        type: 'HealthChanged',
        resource: expect.objectContaining({ kind: 'Deployment' }),
        status: 'healthy',
      }),
    );
    const appHealth = check.events.find((e) => e.type === 'HealthChanged' && e.resource === undefined);
    expect(appHealth).toMatchObject({ status: 'healthy', previous: 'progressing' });

    // Re-apply of the same bundle: nothing written, every resourceVersion as it was.
    const versions = async () =>
      Promise.all([
        core.readNamespacedConfigMap({ name: 'settings', namespace: ns }).then((x) => x.metadata!.resourceVersion),
        core.readNamespacedSecret({ name: 'creds', namespace: ns }).then((x) => x.metadata!.resourceVersion),
        apps.readNamespacedDeployment({ name: 'web', namespace: ns }).then((x) => x.metadata!.resourceVersion),
        core.readNamespacedService({ name: 'web', namespace: ns }).then((x) => x.metadata!.resourceVersion),
        core.readNamespace({ name: ns }).then((x) => x.metadata!.resourceVersion),
      ]);
    const before = await versions();
    const second = await r.sync(app, bundle, policy());
    expect(second.results.filter((x) => x.action !== 'unchanged')).toEqual([]);
    expect(second.results).toHaveLength(10);
    expect(await versions()).toEqual(before);

    expect(JSON.stringify([first, second, events])).not.toContain(SECRET_VALUE);
    expect(JSON.stringify([first, second, events])).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  });

  it('prunes what left the bundle, but never a same-named object it does not own', async () => {
    const app = dns('prune');
    const ns = await namespace();
    const other = await namespace();
    const { r } = reconciler();
    await r.sync(
      app,
      {
        digest: 'sha256:1',
        objects: [
          configMap(ns, 'keep', { a: '1' }),
          configMap(ns, 'gone', { a: '1' }),
          configMap(ns, 'replaced', { a: '1' }),
        ],
      },
      policy(),
    );

    // Someone else's ConfigMap named like ours, in another namespace.
    await core.createNamespacedConfigMap({
      namespace: other,
      body: { metadata: { name: 'gone' }, data: { mine: 'yes' } },
    });
    // Ours deleted and re-created by someone else under the same name, even with our label:
    // the uid differs, so it is not the object the application created.
    await core.deleteNamespacedConfigMap({ name: 'replaced', namespace: ns });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'replaced', labels: { [APPLICATION_LABEL]: app } }, data: { theirs: 'yes' } },
    });

    const res = await r.sync(app, { digest: 'sha256:2', objects: [configMap(ns, 'keep', { a: '1' })] }, policy());
    expect(res.results).toContainEqual({
      ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'gone' },
      action: 'pruned',
    });
    expect(res.results).toContainEqual(
      expect.objectContaining({
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'replaced' },
        action: 'unchanged',
        reason: 'NotOwned',
      }),
    );
    expect(await readConfigMap(ns, 'gone')).toBeUndefined();
    expect((await readConfigMap(other, 'gone'))?.data).toEqual({ mine: 'yes' });
    expect((await readConfigMap(ns, 'replaced'))?.data).toEqual({ theirs: 'yes' });
    expect((await readConfigMap(ns, 'keep'))?.data).toEqual({ a: '1' });
    expect((await inventoryOf(app))?.entries.map((e) => e.name)).toEqual(['keep']);

    // A fresh reconciler (a restarted agent) still knows what the app owns, from the cluster.
    const restarted = reconciler().r;
    const removed = await restarted.remove(app);
    expect(removed.results).toEqual([
      { ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'keep' }, action: 'pruned' },
    ]);
    expect(await readConfigMap(ns, 'keep')).toBeUndefined();
    expect(await inventoryOf(app)).toBeUndefined();
    expect((await readConfigMap(other, 'gone'))?.data).toEqual({ mine: 'yes' });
  });

  it('never takes over an object it does not own unless the policy or the object in git says so', async () => {
    const app = dns('adopt');
    const ns = await namespace();
    for (const name of ['hand', 'annotated', 'theirs'])
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { by: 'hand' } } });
    await core.patchNamespacedConfigMap(
      { name: 'theirs', namespace: ns, body: { metadata: { labels: { [APPLICATION_LABEL]: 'other-app' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const annotated = configMap(ns, 'annotated', { by: 'git' });
    annotated.metadata.annotations = { [ADOPT_ANNOTATION]: 'true' };
    const objects = [configMap(ns, 'hand', { by: 'git' }), annotated, configMap(ns, 'theirs', { by: 'git' })];
    const { r } = reconciler();
    const res = await r.sync(app, { digest: 'sha256:a1', objects }, policy());
    expect(res.ok).toBe(false);
    const byName = new Map(res.results.map((x) => [x.ref.name, x]));
    expect(byName.get('hand')).toMatchObject({ action: 'failed', reason: 'NotOwned' });
    expect(byName.get('hand')?.message).toBe(
      `ConfigMap ${ns}/hand exists and was not created by Flotilla; left alone. To take it over, set syncPolicy.adopt: true on application ${app} or annotate the object in git with flotilla.dev/adopt: "true"`,
    );
    expect(byName.get('theirs')?.message).toMatch(
      /^ConfigMap .*\/theirs exists and belongs to application other-app; left alone/,
    );
    expect(byName.get('annotated')).toMatchObject({ action: 'configured' });
    expect((await readConfigMap(ns, 'hand'))?.data).toEqual({ by: 'hand' });
    expect((await readConfigMap(ns, 'theirs'))?.metadata?.labels?.[APPLICATION_LABEL]).toBe('other-app');
    expect((await readConfigMap(ns, 'annotated'))?.metadata?.labels?.[APPLICATION_LABEL]).toBe(app);
    // Only what it applied is its own: a later prune never touches the refused ones.
    expect((await inventoryOf(app))?.entries.map((e) => e.name)).toEqual(['annotated']);
    const pruned = await r.sync(app, { digest: 'sha256:a2', objects: [annotated] }, policy());
    expect(pruned.ok).toBe(true);
    expect((await readConfigMap(ns, 'hand'))?.data).toEqual({ by: 'hand' });

    const adopted = await r.sync(app, { digest: 'sha256:a3', objects }, policy({ adopt: true }));
    expect(adopted.ok).toBe(true);
    expect((await readConfigMap(ns, 'hand'))?.metadata?.labels?.[APPLICATION_LABEL]).toBe(app);
    expect((await readConfigMap(ns, 'theirs'))?.metadata?.labels?.[APPLICATION_LABEL]).toBe(app);
    // Once its own (label or inventory uid), no flag is needed any more.
    expect((await r.sync(app, { digest: 'sha256:a4', objects }, policy())).ok).toBe(true);
  });

  it('createNamespace makes the missing target namespace (ours, never pruned) and leaves an existing one alone', async () => {
    const app = dns('mkns');
    const fresh = dns('fresh');
    const { r } = reconciler();
    const res = await r.sync(
      app,
      { digest: 'sha256:n1', objects: [configMap(fresh, 'cfg', { a: '1' })] },
      policy({ createNamespace: fresh }),
    );
    expect(res.ok).toBe(true);
    expect(res.results[0]).toMatchObject({
      ref: { kind: 'Namespace', name: fresh },
      action: 'created',
      message: `namespace ${fresh} created (createNamespace)`,
    });
    const ns = await core.readNamespace({ name: fresh });
    expect(ns.metadata?.labels).toMatchObject({ [MANAGED_BY_LABEL]: 'flotilla', [APPLICATION_LABEL]: app });
    expect((await readConfigMap(fresh, 'cfg'))?.data).toEqual({ a: '1' });
    const again = await r.sync(
      app,
      { digest: 'sha256:n2', objects: [configMap(fresh, 'cfg', { a: '2' })] },
      policy({ createNamespace: fresh }),
    );
    expect(again.results.map((x) => x.ref.kind)).toEqual(['ConfigMap']);
    expect((await inventoryOf(app))?.entries.map((e) => e.kind)).toEqual(['ConfigMap']);
    await r.remove(app);
    expect((await core.readNamespace({ name: fresh })).status?.phase).toBe('Active');
  });

  it('does not prune when the policy says not to', async () => {
    const app = dns('noprune');
    const ns = await namespace();
    const { r } = reconciler();
    await r.sync(
      app,
      { digest: 'sha256:1', objects: [configMap(ns, 'a', {}), configMap(ns, 'b', {})] },
      policy({ prune: false }),
    );
    const res = await r.sync(app, { digest: 'sha256:2', objects: [configMap(ns, 'a', {})] }, policy({ prune: false }));
    expect(res.results.map((x) => x.action)).toEqual(['configured']);
    expect(await readConfigMap(ns, 'b')).toBeDefined();
  });

  it('detects drift by another field manager with its path, ignores unmanaged changes, and resolves', async () => {
    const app = dns('drift');
    const ns = await namespace();
    const { r } = reconciler();
    await r.sync(app, { digest: 'sha256:1', objects: [configMap(ns, 'cfg', { key: 'v1', other: 'x' })] }, policy());

    // A field we manage, plus a label and a key nobody declared in git: only the first is drift.
    await kubectlEditConfigMap(ns, 'cfg', {
      metadata: { labels: { 'added-by': 'kubectl' } },
      data: { key: 'edited', extra: 'y' },
    });
    const detected = await r.checkDrift(app);
    const drift = detected.events.filter((e): e is DriftDetected => e.type === 'DriftDetected');
    expect(drift).toHaveLength(1);
    expect(drift[0]!.reason).toBe('modified');
    expect(drift[0]!.fields).toEqual([{ path: '/data/key', desired: 'v1', live: 'edited' }]);
    expect((await readConfigMap(ns, 'cfg'))?.data?.key).toBe('edited'); // detect mode leaves it

    // Reported once, not at every check.
    expect((await r.checkDrift(app)).events.filter((e) => e.type === 'DriftDetected')).toEqual([]);

    await kubectlEditConfigMap(ns, 'cfg', { data: { key: 'v1' } });
    const resolved = await r.checkDrift(app);
    expect(resolved.events.map((e) => e.type)).toEqual(['DriftResolved']);
  });

  it('in correct mode undoes a change by another manager and reports the correction', async () => {
    const app = dns('correct');
    const ns = await namespace();
    const { r } = reconciler();
    await r.sync(app, { digest: 'sha256:1', objects: [deployment(ns, 'web', 2)] }, policy({ driftMode: 'correct' }));

    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body: { spec: { replicas: 7 } }, fieldManager: 'kubectl-edit' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const res = await r.checkDrift(app);
    const types = res.events.filter((e) => e.type.startsWith('Drift'));
    expect(types.map((e) => e.type)).toEqual(['DriftDetected', 'DriftCorrected']);
    expect(types[1]).toMatchObject({ reason: 'modified', fields: [{ path: '/spec/replicas', desired: 2, live: 7 }] });
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(2);
    expect((await r.checkDrift(app)).events.filter((e) => e.type.startsWith('Drift'))).toEqual([]);
  });

  it('never reports a change in an ignored field, and a sync leaves it alone', async () => {
    const app = dns('ignored');
    const ns = await namespace();
    const { r } = reconciler();
    const p = policy({ driftMode: 'correct', ignoredFields: { 'apps/Deployment': ['/spec/replicas'] } });
    const bundle = { digest: 'sha256:1', objects: [deployment(ns, 'web', 2)] };
    await r.sync(app, bundle, p);
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body: { spec: { replicas: 5 } }, fieldManager: 'kubectl-edit' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await r.checkDrift(app)).events.filter((e) => e.type.startsWith('Drift'))).toEqual([]);
    expect((await r.sync(app, bundle, p)).results.map((x) => x.action)).toEqual(['unchanged']);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(5);
  });

  it('refuses objects outside the allowlist before any API call about them', async () => {
    const app = dns('scope');
    const ns = await namespace();
    const forbiddenNs = dns('forbidden');
    const counting = new CountingKubeConfig();
    counting.loadFromFile(server.kubeconfigPath);
    const { r } = reconciler({ scope: { namespaces: [ns], kinds: ['ConfigMap'] } }, counting);

    const res = await r.sync(
      app,
      {
        digest: 'sha256:1',
        objects: [
          configMap(forbiddenNs, 'outside-ns', {}),
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'outside-kind', namespace: ns },
            stringData: { a: 'b' },
          },
          { apiVersion: 'nowhere.flotilla.test/v1', kind: 'Gadget', metadata: { name: 'unserved', namespace: ns } },
        ],
      },
      policy(),
    );
    expect(res.ok).toBe(false);
    expect(res.results.map((x) => [x.ref.name, x.action, x.reason])).toEqual([
      ['outside-ns', 'failed', 'NotAllowed'],
      ['outside-kind', 'failed', 'NotAllowed'],
      ['unserved', 'failed', 'NotAllowed'],
    ]);
    // The only requests were about the application's own inventory.
    expect(counting.urls.length).toBeGreaterThan(0);
    expect(
      counting.urls.filter(
        (u) => !u.includes(`/namespaces/${inventoryNamespace}/configmaps/flotilla-inventory-${app}`),
      ),
    ).toEqual([]);
    expect(await readConfigMap(forbiddenNs, 'outside-ns')).toBeUndefined();
    await expect(core.readNamespacedSecret({ name: 'outside-kind', namespace: ns })).rejects.toMatchObject({
      code: 404,
    });
    expect(res.events.at(-1)).toMatchObject({ type: 'SyncFailed' });
  });

  it('reports a per-resource API failure with the API reason and still applies the rest', async () => {
    const app = dns('partial');
    const ns = await namespace();
    const { r } = reconciler();
    const res = await r.sync(
      app,
      {
        digest: 'sha256:1',
        objects: [
          configMap(ns, 'fine', { a: '1' }),
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'bad', namespace: ns },
            data: { 'bad key!': Buffer.from(SECRET_VALUE).toString('base64') },
          },
        ],
      },
      policy(),
    );
    expect(res.results.find((x) => x.ref.name === 'fine')?.action).toBe('created');
    const bad = res.results.find((x) => x.ref.name === 'bad');
    expect(bad).toMatchObject({ action: 'failed', reason: 'Invalid' });
    expect(bad?.message).toMatch(/invalid/i);
    expect(JSON.stringify(res)).not.toContain(SECRET_VALUE);
  });

  it('never calls an application healthy when its resources failed to apply: missing with the API message, until a sync applies them', async () => {
    const app = dns('failing');
    const absent = dns('absent'); // never created: every apply into it fails with NotFound
    const { r, events } = reconciler();
    const res = await r.sync(
      app,
      { digest: 'sha256:f1', objects: [configMap(absent, 'a', { k: '1' }), configMap(absent, 'b', { k: '2' })] },
      policy(),
    );
    expect(res.ok).toBe(false);
    expect(res.results.map((x) => x.action)).toEqual(['failed', 'failed']);
    expect(res.health.status).toBe('missing');
    expect(res.health.message).toMatch(/^not applied: NotFound: .*not found/);
    const appHealth = events.filter((e) => e.type === 'HealthChanged' && e.resource === undefined);
    expect(appHealth).toEqual([expect.objectContaining({ status: 'missing', message: res.health.message })]);
    const failedEvent = events.find((e) => e.type === 'SyncFailed');
    expect(failedEvent).toMatchObject({
      message: expect.stringMatching(/^2 of 2 resources failed: ConfigMap .*NotFound/),
    });

    // The periodic check keeps saying so (it used to forget the failures and turn healthy).
    const check = await r.checkDrift(app);
    expect(check.events.filter((e) => e.type === 'HealthChanged')).toEqual([]);

    await core.createNamespace({ body: { metadata: { name: absent } } });
    const fixed = await r.sync(
      app,
      { digest: 'sha256:f2', objects: [configMap(absent, 'a', { k: '1' }), configMap(absent, 'b', { k: '2' })] },
      policy(),
    );
    expect(fixed.ok).toBe(true);
    expect(fixed.health.status).toBe('healthy');
  });

  it('treats a deleted managed object as drift; correct mode re-creates it and owns the new uid', async () => {
    const app = dns('missing');
    const ns = await namespace();
    const detect = reconciler().r;
    await detect.sync(app, { digest: 'sha256:1', objects: [configMap(ns, 'cfg', { k: 'v' })] }, policy());
    await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: ns });
    const seen = await detect.checkDrift(app);
    expect(seen.events).toContainEqual(
      expect.objectContaining({ type: 'DriftDetected', reason: 'missing', fields: [] }),
    );
    expect(seen.events).toContainEqual(expect.objectContaining({ type: 'HealthChanged', status: 'missing' }));
    expect(await readConfigMap(ns, 'cfg')).toBeUndefined();

    const { r } = reconciler();
    await r.sync(
      app,
      { digest: 'sha256:1', objects: [configMap(ns, 'cfg', { k: 'v' })] },
      policy({ driftMode: 'correct' }),
    );
    const oldUid = (await readConfigMap(ns, 'cfg'))!.metadata!.uid;
    await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: ns });
    const res = await r.checkDrift(app);
    expect(res.events.filter((e) => e.type.startsWith('Drift')).map((e) => e.type)).toEqual([
      'DriftDetected',
      'DriftCorrected',
    ]);
    const recreated = await readConfigMap(ns, 'cfg');
    expect(recreated?.data).toEqual({ k: 'v' });
    expect(recreated?.metadata?.uid).not.toBe(oldUid);
    expect((await inventoryOf(app))?.entries[0]?.uid).toBe(recreated?.metadata?.uid);
  });

  it('watches notice drift without waiting for the periodic check', async () => {
    const app = dns('watch');
    const ns = await namespace();
    const { r, events } = reconciler({ durations: { driftDebounceMs: 200, driftCheckIntervalMs: 3_600_000 } });
    await r.sync(
      app,
      { digest: 'sha256:1', objects: [configMap(ns, 'cfg', { key: 'v1' })] },
      policy({ driftMode: 'correct' }),
    );
    r.startDriftWatch();
    try {
      // Let the watch establish (its initial listing triggers one clean check) before editing.
      await new Promise((res) => setTimeout(res, 1_000));
      await kubectlEditConfigMap(ns, 'cfg', { data: { key: 'edited' } });
      const deadline = Date.now() + 30_000;
      while (!events.some((e) => e.type === 'DriftCorrected') && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 100));
      expect(events.find((e) => e.type === 'DriftCorrected')).toMatchObject({
        fields: [{ path: '/data/key', desired: 'v1', live: 'edited' }],
      });
      expect((await readConfigMap(ns, 'cfg'))?.data?.key).toBe('v1');
    } finally {
      r.stopDriftWatch();
    }
  });
});
