import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubernetesObject,
  type V1ResourceAttributes,
  type V1Secret,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { startKubeApiServer, type KubeApiServer } from '@flotilla/testing';
import { Reconciler } from './reconciler';
import type { DriftDetected, ReconcileEvent } from './reconcile.events';
import type { SyncPolicy } from './reconcile.types';
import type { KubeObject } from './resource-ref';

// The agent's shipped RBAC (deploy/agent) against the real kube-apiserver: the Reconciler,
// running as the agent's ServiceAccount, can do its whole job, and the API server refuses
// that identity everything else.
jest.setTimeout(120_000);

const DEPLOY_DIR = join(__dirname, '..', '..', '..', 'deploy', 'agent');
const AGENT_NAMESPACE = 'flotilla-system';
const AGENT_SERVICE_ACCOUNT = 'flotilla-agent';
const CREDENTIALS_SECRET = 'flotilla-agent-credentials';
// RBAC changes reach the authorizer through an informer: allow them a moment, boundedly.
const RBAC_PROPAGATION_TIMEOUT_MS = 20_000;

const dns = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: KubeApiServer;
let admin: KubeConfig;
let agent: KubeConfig;
let adminCore: CoreV1Api;
let agentCore: CoreV1Api;
/** Managed namespaces: created by the admin and bound with rbac-namespace.yaml, as the install says. */
let appNs: string;
let otherAppNs: string;

function manifests(file: string): KubernetesObject[] {
  const docs = parseAllDocuments(readFileSync(join(DEPLOY_DIR, file), 'utf8'));
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as KubernetesObject).filter((o) => o !== null);
}

async function createAll(objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const o of objects) await api.create(o);
}

/** What installing the agent into one more namespace means (deploy/agent/rbac-namespace.yaml). */
async function manageNamespace(ns: string): Promise<void> {
  await adminCore.createNamespace({ body: { metadata: { name: ns } } });
  await createAll(manifests('rbac-namespace.yaml').map((o) => ({ ...o, metadata: { ...o.metadata, namespace: ns } })));
}

/** Asks the API server, as the agent, whether it may do this (a SelfSubjectAccessReview). */
async function agentMay(attrs: V1ResourceAttributes): Promise<boolean> {
  const review = await agent.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: attrs } },
  });
  return review.status?.allowed === true;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + RBAC_PROPAGATION_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${RBAC_PROPAGATION_TIMEOUT_MS} ms waiting: ${what}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  try {
    server = await startKubeApiServer();
  } catch (err) {
    throw new Error(
      `cannot start the real kube-apiserver (build it with \`bash test/kube/build.sh\`, or set FLOTILLA_TEST_KUBECONFIG): ${String(err)}`,
      { cause: err },
    );
  }
  admin = new KubeConfig();
  admin.loadFromFile(server.kubeconfigPath);
  adminCore = admin.makeApiClient(CoreV1Api);

  await createAll(manifests('rbac.yaml'));
  appNs = dns('shop');
  otherAppNs = dns('other');
  await manageNamespace(appNs);
  await manageNamespace(otherAppNs);

  // A short-lived token for the agent's ServiceAccount, as a projected token in its Pod would be.
  const tokenRequest = await adminCore.createNamespacedServiceAccountToken({
    name: AGENT_SERVICE_ACCOUNT,
    namespace: AGENT_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tokenRequest.status?.token;
  if (!token) throw new Error('TokenRequest returned no token');
  const cluster = admin.getCurrentCluster()!;
  agent = new KubeConfig();
  agent.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile }],
    users: [{ name: AGENT_SERVICE_ACCOUNT, token }],
    contexts: [{ name: 'agent', cluster: 'test', user: AGENT_SERVICE_ACCOUNT }],
    currentContext: 'agent',
  });
  agentCore = agent.makeApiClient(CoreV1Api);

  const whoami = `system:serviceaccount:${AGENT_NAMESPACE}:${AGENT_SERVICE_ACCOUNT}`;
  await until(`${whoami} gets its grants`, async () => {
    const checks = await Promise.all([
      agentMay({ verb: 'patch', resource: 'namespaces', name: appNs }),
      agentMay({ verb: 'patch', resource: 'configmaps', namespace: AGENT_NAMESPACE }),
      agentMay({ verb: 'get', resource: 'secrets', namespace: AGENT_NAMESPACE, name: CREDENTIALS_SECRET }),
      agentMay({ verb: 'watch', group: 'apps', resource: 'deployments', namespace: appNs }),
      agentMay({ verb: 'watch', group: 'apps', resource: 'deployments', namespace: otherAppNs }),
    ]);
    return checks.every(Boolean);
  });
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

function agentReconciler(events: ReconcileEvent[] = []): Reconciler {
  // The default inventory namespace is the agent's own (flotilla-system), as in production.
  return new Reconciler(agent, {
    scope: { namespaces: ['*'], kinds: ['*'] },
    onEvent: (e) => events.push(e),
    durations: { crdEstablishedTimeoutMs: 30_000, driftDebounceMs: 200, driftCheckIntervalMs: 3_600_000 },
  });
}

const configMap = (ns: string, name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

function application(ns: string, group: string): KubeObject[] {
  return [
    // The admin made and bound it: listed in git for its labels, it is adopted explicitly.
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { team: 'shop' }, annotations: { 'flotilla.dev/adopt': 'true' } },
    },
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
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'web', namespace: ns },
      // pods/log is nothing the agent holds itself: granting it needs `escalate`.
      rules: [{ apiGroups: [''], resources: ['configmaps', 'pods/log'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'web', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web' },
      subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: ns }],
    },
    configMap(ns, 'settings', { mode: 'prod' }),
    configMap(ns, 'feature-flags', { beta: 'off' }),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, stringData: { password: 'pw' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'nginx:1.25' }] },
        },
      },
    },
  ];
}

async function expectForbidden(call: Promise<unknown>): Promise<void> {
  await expect(call).rejects.toMatchObject({ code: 403 });
}

describe("the agent's shipped RBAC (deploy/agent) against the real kube-apiserver", () => {
  it('is enough to sync, re-sync, prune and detect drift as the agent ServiceAccount', async () => {
    const app = dns('shop');
    const group = `${dns('g')}.flotilla.test`;
    const events: ReconcileEvent[] = [];
    const r = agentReconciler(events);
    const objects = application(appNs, group);

    const first = await r.sync(app, { digest: 'sha256:one', objects }, policy());
    expect(first.results.filter((x) => x.action === 'failed')).toEqual([]);
    expect(first.ok).toBe(true);
    expect(first.results.map((x) => [x.ref.kind, x.action])).toEqual([
      ['Namespace', 'configured'], // the admin created it when binding the agent there
      ['CustomResourceDefinition', 'created'],
      ['ServiceAccount', 'created'],
      ['Role', 'created'],
      ['RoleBinding', 'created'],
      ['ConfigMap', 'created'],
      ['ConfigMap', 'created'],
      ['Secret', 'created'],
      ['Service', 'created'],
      ['Deployment', 'created'],
    ]);
    expect((await adminCore.readNamespace({ name: appNs })).metadata?.labels?.team).toBe('shop');
    // The inventory landed in the agent's own namespace.
    const inventory = await adminCore.readNamespacedConfigMap({
      name: `flotilla-inventory-${app}`,
      namespace: AGENT_NAMESPACE,
    });
    expect(JSON.parse(inventory.data!['inventory.json']!).entries).toHaveLength(10);

    const second = await r.sync(app, { digest: 'sha256:one', objects }, policy());
    expect(second.ok).toBe(true);
    expect(second.results.filter((x) => x.action !== 'unchanged')).toEqual([]);

    const pruned = await r.sync(
      app,
      { digest: 'sha256:two', objects: objects.filter((o) => o.metadata.name !== 'feature-flags') },
      policy(),
    );
    expect(pruned.ok).toBe(true);
    expect(pruned.results.filter((x) => x.action === 'pruned').map((x) => x.ref.name)).toEqual(['feature-flags']);
    await expect(adminCore.readNamespacedConfigMap({ name: 'feature-flags', namespace: appNs })).rejects.toMatchObject({
      code: 404,
    });

    // Drift, noticed by the agent's own list/watch (by label) and confirmed by a direct check.
    r.startDriftWatch();
    try {
      await sleep(1_000); // the watch's initial listing runs one clean check first
      events.length = 0;
      await adminCore.patchNamespacedConfigMap(
        { name: 'settings', namespace: appNs, body: { data: { mode: 'debug' } }, fieldManager: 'kubectl-edit' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const deadline = Date.now() + 30_000;
      while (!events.some((e) => e.type === 'DriftDetected') && Date.now() < deadline) await sleep(100);
    } finally {
      r.stopDriftWatch();
    }
    const drift = events.filter((e): e is DriftDetected => e.type === 'DriftDetected');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({
      resource: expect.objectContaining({ kind: 'ConfigMap', name: 'settings' }),
      fields: [{ path: '/data/mode', desired: 'prod', live: 'debug' }],
    });
    // No per-object read failed under the agent's identity (it would show as degraded).
    const check = await r.checkDrift(app);
    expect(check.events.filter((e) => e.type === 'HealthChanged' && e.status === 'degraded')).toEqual([]);
  });

  it('refuses custom resources until their API group is granted, one failed resource at a time', async () => {
    const app = dns('widgets');
    const group = `${dns('g')}.flotilla.test`;
    const r = agentReconciler();
    const objects = [
      ...application(otherAppNs, group).filter((o) => o.kind === 'CustomResourceDefinition'),
      configMap(otherAppNs, 'plain', { a: '1' }),
      { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: otherAppNs }, spec: { size: 3 } },
    ];
    // Deliberately not granted by default: which custom resources an agent may write is the
    // cluster owner's choice, one rule per API group (rbac.yaml says how).
    const refused = await r.sync(app, { digest: 'sha256:1', objects }, policy());
    expect(refused.ok).toBe(false);
    expect(refused.results.map((x) => [x.ref.kind, x.action, x.reason])).toEqual([
      ['CustomResourceDefinition', 'created', undefined],
      ['ConfigMap', 'created', undefined],
      ['Widget', 'failed', 'Forbidden'],
    ]);
    expect(refused.results.find((x) => x.ref.kind === 'Widget')?.message).toMatch(
      new RegExp(`forbidden.*cannot get resource "widgets" in API group "${group.replace(/\./g, '\\.')}"`),
    );

    // The documented extension: one rule for the group on flotilla-agent-reconciler.
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const role = await rbac.readClusterRole({ name: 'flotilla-agent-reconciler' });
    role.rules = [
      ...(role.rules ?? []),
      { apiGroups: [group], resources: ['widgets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    ];
    await rbac.replaceClusterRole({ name: 'flotilla-agent-reconciler', body: role });
    await until('the widgets rule reaches the authorizer', () =>
      agentMay({ verb: 'create', group, resource: 'widgets', namespace: otherAppNs }),
    );
    const granted = await r.sync(app, { digest: 'sha256:1', objects }, policy());
    expect(granted.ok).toBe(true);
    expect(granted.results.find((x) => x.ref.kind === 'Widget')?.action).toBe('created');
  });

  it('does not let the agent delete a Namespace, even one an application declared: pruning it is a clear failure', async () => {
    const app = dns('nsprune');
    const ns = dns('leaving');
    await manageNamespace(ns);
    await until('the agent is bound in the new namespace', () =>
      agentMay({ verb: 'create', resource: 'configmaps', namespace: ns }),
    );
    const r = agentReconciler();
    const withNs = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, annotations: { 'flotilla.dev/adopt': 'true' } } },
      configMap(ns, 'cfg', {}),
    ];
    expect((await r.sync(app, { digest: 'sha256:1', objects: withNs }, policy())).ok).toBe(true);

    const res = await r.sync(app, { digest: 'sha256:2', objects: [configMap(ns, 'cfg', {})] }, policy());
    expect(res.ok).toBe(false);
    const failed = res.results.filter((x) => x.action === 'failed');
    expect(failed).toEqual([
      expect.objectContaining({ ref: expect.objectContaining({ kind: 'Namespace', name: ns }), reason: 'Forbidden' }),
    ]);
    expect(failed[0]?.message).toMatch(/cannot delete resource "namespaces"/);
    expect((await adminCore.readNamespace({ name: ns })).status?.phase).toBe('Active');
    // Still owned: the inventory keeps it, so a later grant (or a person) can finish the job.
    const inventory = await adminCore.readNamespacedConfigMap({
      name: `flotilla-inventory-${app}`,
      namespace: AGENT_NAMESPACE,
    });
    expect(JSON.parse(inventory.data!['inventory.json']!).entries.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['Namespace', 'ConfigMap']),
    );
  });

  it('is least privilege: the API server refuses the agent everything outside its job (403)', async () => {
    await adminCore.createNamespacedSecret({
      namespace: 'kube-system',
      body: { metadata: { name: 'crown-jewels' }, stringData: { key: 'value' } },
    });
    await adminCore.createNamespacedSecret({
      namespace: AGENT_NAMESPACE,
      body: { metadata: { name: 'someone-elses' }, stringData: { key: 'value' } },
    });
    const unmanaged = dns('unmanaged');
    await adminCore.createNamespace({ body: { metadata: { name: unmanaged } } });

    // Secrets outside the managed namespaces, even in its own namespace.
    await expectForbidden(agentCore.readNamespacedSecret({ name: 'crown-jewels', namespace: 'kube-system' }));
    await expectForbidden(agentCore.listNamespacedSecret({ namespace: 'kube-system' }));
    await expectForbidden(agentCore.listSecretForAllNamespaces());
    await expectForbidden(agentCore.readNamespacedSecret({ name: 'someone-elses', namespace: AGENT_NAMESPACE }));
    await expectForbidden(agentCore.listNamespacedSecret({ namespace: AGENT_NAMESPACE }));
    // Namespaces: never deleted, not even the ones it manages.
    await expectForbidden(agentCore.deleteNamespace({ name: 'kube-system' }));
    await expectForbidden(agentCore.deleteNamespace({ name: unmanaged }));
    await expectForbidden(agentCore.deleteNamespace({ name: appNs }));
    // Nothing in a namespace nobody bound it in.
    await expectForbidden(
      agentCore.createNamespacedConfigMap({ namespace: unmanaged, body: { metadata: { name: 'x' } } }),
    );
    await expectForbidden(agentCore.listNamespacedConfigMap({ namespace: 'kube-system' }));
    // No cluster-wide RBAC: it cannot make itself cluster-admin.
    await expectForbidden(
      agent.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
        body: {
          metadata: { name: dns('escalate') },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: AGENT_SERVICE_ACCOUNT, namespace: AGENT_NAMESPACE }],
        },
      }),
    );
    // Kinds it was not given.
    await expectForbidden(agentCore.listNamespacedPod({ namespace: appNs }));
    await expectForbidden(agentCore.listNode());

    // What git's RBAC can grant stays inside the managed namespace: bound to cluster-admin
    // there (bind on ClusterRoles, by design) the agent is that namespace's admin, and gains
    // nothing outside it.
    await agent.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: appNs,
      body: {
        metadata: { name: dns('escalate') },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: AGENT_SERVICE_ACCOUNT, namespace: AGENT_NAMESPACE }],
      },
    });
    await until('the in-namespace binding reaches the authorizer', () =>
      agentMay({ verb: 'list', resource: 'pods', namespace: appNs }),
    );
    await expectForbidden(agentCore.readNamespacedSecret({ name: 'crown-jewels', namespace: 'kube-system' }));
    await expectForbidden(agentCore.deleteNamespace({ name: 'kube-system' }));
    await expectForbidden(agentCore.deleteNamespace({ name: unmanaged }));
    await expectForbidden(agentCore.listNamespacedPod({ namespace: unmanaged }));
    await expectForbidden(agentCore.listSecretForAllNamespaces());
  });

  it('lets the agent keep its credentials Secret (get/create/update) in its own namespace', async () => {
    // The calls KubeSecretCredentialsStore (services/agent) makes, in its order.
    await expect(
      agentCore.readNamespacedSecret({ name: CREDENTIALS_SECRET, namespace: AGENT_NAMESPACE }),
    ).rejects.toMatchObject({ code: 404 }); // allowed to look; nothing there yet
    const body = (value: string): V1Secret => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: CREDENTIALS_SECRET, namespace: AGENT_NAMESPACE },
      type: 'Opaque',
      data: { 'credentials.json': Buffer.from(value).toString('base64') },
    });
    await agentCore.createNamespacedSecret({ namespace: AGENT_NAMESPACE, body: body('{"v":1}') });
    await expect(
      agentCore.createNamespacedSecret({ namespace: AGENT_NAMESPACE, body: body('{"v":2}') }),
    ).rejects.toMatchObject({ code: 409 });
    await agentCore.replaceNamespacedSecret({
      name: CREDENTIALS_SECRET,
      namespace: AGENT_NAMESPACE,
      body: body('{"v":2}'),
    });
    const read = await agentCore.readNamespacedSecret({ name: CREDENTIALS_SECRET, namespace: AGENT_NAMESPACE });
    expect(Buffer.from(read.data!['credentials.json']!, 'base64').toString()).toBe('{"v":2}');
    // The same name in another namespace is not its credentials.
    await expectForbidden(agentCore.readNamespacedSecret({ name: CREDENTIALS_SECRET, namespace: 'kube-system' }));
    await expectForbidden(agentCore.deleteNamespacedSecret({ name: CREDENTIALS_SECRET, namespace: AGENT_NAMESPACE }));
  });
});

// Last in the file: the cluster-wide binding, while it exists, widens what the agent may do.
describe('createNamespace under the two RBAC profiles (deploy/agent), as the agent ServiceAccount', () => {
  it('least privilege (namespaces made and bound by a person): the namespace is created, filling it is refused (403)', async () => {
    const app = dns('mkns');
    const fresh = dns('fresh');
    const res = await agentReconciler().sync(
      app,
      { digest: 'sha256:1', objects: [configMap(fresh, 'cfg', { a: '1' })] },
      policy({ createNamespace: fresh }),
    );
    expect(res.results[0]).toMatchObject({ ref: { kind: 'Namespace', name: fresh }, action: 'created' });
    expect(res.ok).toBe(false);
    expect(res.results[1]).toMatchObject({
      ref: { kind: 'ConfigMap', name: 'cfg' },
      action: 'failed',
      reason: 'Forbidden',
    });
    expect(res.results[1]?.message).toMatch(/cannot (get|patch) resource "configmaps" .* in the namespace "fresh-/);
    expect((await adminCore.readNamespace({ name: fresh })).status?.phase).toBe('Active');
  });

  it('cluster-wide (rbac-cluster.yaml): a namespace the agent creates is filled, as any other', async () => {
    await createAll(manifests('rbac-cluster.yaml'));
    try {
      const fresh = dns('fresh');
      await until('the cluster-wide binding reaches the authorizer', () =>
        agentMay({ verb: 'patch', resource: 'configmaps', namespace: fresh }),
      );
      const res = await agentReconciler().sync(
        dns('mkns'),
        { digest: 'sha256:1', objects: [configMap(fresh, 'cfg', { a: '1' })] },
        policy({ createNamespace: fresh }),
      );
      expect(res.results.map((x) => [x.ref.kind, x.action])).toEqual([
        ['Namespace', 'created'],
        ['ConfigMap', 'created'],
      ]);
      expect(res.ok).toBe(true);
      expect((await adminCore.readNamespacedConfigMap({ name: 'cfg', namespace: fresh })).data).toEqual({ a: '1' });
      // Still never a Namespace deletion, nor cluster-wide RBAC.
      await expectForbidden(agentCore.deleteNamespace({ name: fresh }));
      expect(
        await agentMay({ verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' }),
      ).toBe(false);
    } finally {
      await admin.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: 'flotilla-agent-reconciler' });
    }
  });
});
