// Client-node scenarios written once and run against both a real kube-apiserver and the
// emulator. Each returns an outcome with server-specific values (uids, resourceVersions,
// timestamps) normalised away, so the two outcomes can be compared for equality.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';

export interface Scenario {
  name: string;
  run(kc: KubeConfig, ns: string): Promise<unknown>;
}

type Obj = Record<string, unknown>;

/** What an API error looked like: the HTTP code and the Status body's meaningful fields. */
export function errorOutcome(err: unknown): Obj {
  const e = err as { code?: number; body?: unknown };
  if (typeof e.code !== 'number') throw err;
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // a non-JSON body is compared as is
    }
  }
  const b = (body ?? {}) as Obj;
  return {
    httpCode: e.code,
    kind: b.kind,
    status: b.status,
    reason: b.reason,
    code: b.code,
    message: b.message,
    details: b.details,
  };
}

async function outcomeOf(fn: () => Promise<unknown>): Promise<Obj> {
  try {
    const value = await fn();
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: errorOutcome(err) };
  }
}

/**
 * The entries without their times, ordered by manager and operation: both servers order entries
 * by their time in whole seconds first, so two applies that straddle a second boundary on one
 * server and not on the other list the same entries in another order (seen as a flake under load).
 */
function managedFieldsOf(o: KubernetesObject | undefined): unknown {
  return (o?.metadata?.managedFields ?? [])
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      fieldsType: m.fieldsType,
      fieldsV1: m.fieldsV1,
    }))
    .sort((p, q) => `${p.manager}\u0000${p.operation}`.localeCompare(`${q.manager}\u0000${q.operation}`));
}

/** Drops what legitimately differs between two servers: identities, versions, clocks, ClusterIPs. */
export function normalise(o: unknown): unknown {
  if (Array.isArray(o)) return o.map(normalise);
  if (o instanceof Date) return '<time>';
  if (!o || typeof o !== 'object') return o;
  const out: Obj = {};
  for (const [k, v] of Object.entries(o as Obj)) {
    if (v === undefined) continue;
    if (
      [
        'uid',
        'resourceVersion',
        'creationTimestamp',
        'time',
        'lastTransitionTime',
        'lastUpdateTime',
        'deletionTimestamp',
        'selfLink',
      ].includes(k)
    )
      out[k] = '<x>';
    else out[k] = normalise(v);
  }
  return out;
}

const cm = (ns: string, name: string, data: Record<string, string>, labels?: Record<string, string>): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  data,
});

export const statusCodes: Scenario = {
  name: 'status codes and reasons',
  async run(kc, ns) {
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: cm(ns, 'one', { a: '1' }) });
    return {
      missing: await outcomeOf(() => core.readNamespacedConfigMap({ name: 'nope', namespace: ns })),
      missingDeployment: await outcomeOf(() =>
        KubernetesObjectApi.makeApiClient(kc).read({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'nope', namespace: ns },
        }),
      ),
      duplicate: await outcomeOf(() =>
        core.createNamespacedConfigMap({ namespace: ns, body: cm(ns, 'one', { a: '1' }) }),
      ),
      staleUpdate: await outcomeOf(async () => {
        await core.replaceNamespacedConfigMap({ name: 'one', namespace: ns, body: { ...created, data: { a: '2' } } });
        return core.replaceNamespacedConfigMap({ name: 'one', namespace: ns, body: { ...created, data: { a: '3' } } });
      }),
      invalidName: await outcomeOf(() =>
        core.createNamespacedConfigMap({ namespace: ns, body: cm(ns, 'Bad_Name', {}) }),
      ),
      missingName: await outcomeOf(() =>
        core.createNamespacedConfigMap({ namespace: ns, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } }),
      ),
      invalidNamespaceName: await outcomeOf(() =>
        core.createNamespace({ body: { metadata: { name: 'Not.A.Label' } } }),
      ),
      missingNamespace: await outcomeOf(() =>
        core.createNamespacedConfigMap({ namespace: `${ns}-absent`, body: cm(`${ns}-absent`, 'x', {}) }),
      ),
      deleted: normalise(await core.deleteNamespacedConfigMap({ name: 'one', namespace: ns })),
      deleteMissing: await outcomeOf(() => core.deleteNamespacedConfigMap({ name: 'one', namespace: ns })),
    };
  },
};

function applyCm(ns: string, data: Record<string, string>, labels?: Record<string, string>): KubernetesObject {
  return cm(ns, 'shared', data, labels) as KubernetesObject;
}

export const serverSideApply: Scenario = {
  name: 'server-side apply with two field managers',
  async run(kc, ns) {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const apply = (o: KubernetesObject, manager: string, force?: boolean): Promise<KubernetesObject> =>
      api.patch(o, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);
    const steps: Obj = {};
    const first = await apply(applyCm(ns, { a: '1', b: '2' }, { team: 'blue' }), 'mgr-a');
    steps.first = {
      data: (first as V1ConfigMap).data,
      labels: first.metadata?.labels,
      managed: managedFieldsOf(first),
    };
    steps.conflict = await outcomeOf(() => apply(applyCm(ns, { a: 'changed', c: '3' }), 'mgr-b'));
    const shared = await apply(applyCm(ns, { a: '1', c: '3' }), 'mgr-b');
    steps.sharedSameValue = { data: (shared as V1ConfigMap).data, managed: managedFieldsOf(shared) };
    const forced = await apply(applyCm(ns, { a: 'forced', c: '3' }), 'mgr-b', true);
    steps.forced = { data: (forced as V1ConfigMap).data, managed: managedFieldsOf(forced) };
    const again = await apply(applyCm(ns, { a: 'forced', c: '3' }), 'mgr-b');
    steps.reapplyIsNoop = again.metadata?.resourceVersion === forced.metadata?.resourceVersion;
    // mgr-a drops b and its label: what it alone owned is removed, what is shared stays.
    const shrunk = await apply(applyCm(ns, { a: '1' }), 'mgr-a', true);
    steps.pruned = {
      data: (shrunk as V1ConfigMap).data,
      labels: shrunk.metadata?.labels ?? null,
      managed: managedFieldsOf(shrunk),
    };
    const updated = await api.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared', namespace: ns },
        data: { z: '26' },
      } as KubernetesObject,
      undefined,
      undefined,
      'editor',
      undefined,
      PatchStrategy.MergePatch,
    );
    steps.afterPatch = { data: (updated as V1ConfigMap).data, managed: managedFieldsOf(updated) };
    steps.missingManager = await outcomeOf(() =>
      api.patch(applyCm(ns, { a: '1' }), undefined, undefined, undefined, undefined, PatchStrategy.ServerSideApply),
    );
    return normalise(steps);
  },
};

function deployment(ns: string, image: string, replicas: number): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }],
        },
      },
    },
  } as KubernetesObject;
}

export const deploymentApply: Scenario = {
  name: 'server-side apply of a Deployment: defaults, managedFields, conflicts in keyed lists',
  async run(kc, ns) {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const apply = (o: KubernetesObject, manager: string, force?: boolean): Promise<KubernetesObject> =>
      api.patch(o, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);
    const first = (await apply(deployment(ns, 'nginx:1.25', 2), 'mgr-a')) as KubernetesObject & { spec: Obj };
    const conflict = await outcomeOf(() => apply(deployment(ns, 'nginx:1.26', 3), 'mgr-b'));
    const forced = (await apply(deployment(ns, 'nginx:1.26', 3), 'mgr-b', true)) as KubernetesObject & { spec: Obj };
    return normalise({
      generation: [first.metadata?.generation, forced.metadata?.generation],
      spec: first.spec,
      managed: managedFieldsOf(first),
      conflict,
      forcedManaged: managedFieldsOf(forced),
    });
  },
};

export const patches: Scenario = {
  name: 'merge and JSON patches',
  async run(kc, ns) {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: cm(ns, 'p', { a: '1', b: '2' }, { x: '1', keep: 'k' }),
    });
    const merged = await api.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'p', namespace: ns, labels: { x: null as unknown as string, y: '2' } },
        data: { b: null, c: '3' },
      } as unknown as KubernetesObject,
      undefined,
      undefined,
      'merger',
      undefined,
      PatchStrategy.MergePatch,
    );
    const jsonPatched = await outcomeOf(async () => {
      const out = await core.patchNamespacedConfigMap({
        name: 'p',
        namespace: ns,
        body: [
          { op: 'add', path: '/data/d', value: '4' },
          { op: 'remove', path: '/data/a' },
        ],
      });
      return { data: out.data, labels: out.metadata?.labels };
    });
    const failedTest = await outcomeOf(() =>
      core.patchNamespacedConfigMap({
        name: 'p',
        namespace: ns,
        body: [{ op: 'test', path: '/data/c', value: 'wrong' }],
      }),
    );
    const final = await core.readNamespacedConfigMap({ name: 'p', namespace: ns });
    return normalise({
      merged: { data: (merged as V1ConfigMap).data, labels: merged.metadata?.labels, managed: managedFieldsOf(merged) },
      jsonPatched,
      failedTestCode: (failedTest.error as Obj | undefined)?.httpCode,
      final: { data: final.data, managed: managedFieldsOf(final) },
    });
  },
};

export const listing: Scenario = {
  name: 'label selectors, field selectors, limit and continue',
  async run(kc, ns) {
    const core = kc.makeApiClient(CoreV1Api);
    const labels: Record<string, Record<string, string>> = {
      a1: { env: 'prod', tier: 'web' },
      a2: { env: 'prod', tier: 'db' },
      b1: { env: 'dev', tier: 'web' },
      b2: { env: 'dev' },
      c1: {},
    };
    for (const [name, l] of Object.entries(labels))
      await core.createNamespacedConfigMap({ namespace: ns, body: cm(ns, name, {}, l) });
    const names = async (labelSelector?: string, fieldSelector?: string): Promise<unknown> =>
      outcomeOf(async () =>
        (await core.listNamespacedConfigMap({ namespace: ns, labelSelector, fieldSelector })).items
          .map((i) => i.metadata?.name)
          .filter((n) => n !== 'kube-root-ca.crt'),
      );
    const selectors = [
      'env=prod',
      'env==prod',
      'env!=prod',
      'env in (prod,dev)',
      'tier notin (web)',
      'tier',
      '!tier',
      'env=dev,tier=web',
      'env in (prod),tier!=db',
      'bad key!',
    ];
    const bySelector: Obj = {};
    for (const s of selectors) bySelector[s] = await names(s);
    const pages: unknown[] = [];
    let cont: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: ns,
        limit: 2,
        _continue: cont,
        labelSelector: 'env',
      });
      pages.push({
        names: page.items.map((i) => i.metadata?.name),
        hasContinue: Boolean(page.metadata?._continue),
        remaining: page.metadata?.remainingItemCount,
      });
      cont = page.metadata?._continue;
    } while (cont);
    const unfiltered = await core.listNamespacedConfigMap({ namespace: ns, limit: 3, labelSelector: '' });
    return {
      bySelector,
      byField: await names(undefined, 'metadata.name=b1'),
      byFieldNot: await names(undefined, 'metadata.name!=b1'),
      pages,
      remainingWithoutSelector: unfiltered.metadata?.remainingItemCount !== undefined,
      listKind: unfiltered.kind,
      itemsHaveKind: unfiltered.items.some((i) => i.kind !== undefined),
    };
  },
};

export const watchSequence: Scenario = {
  name: 'watch event sequence for a ConfigMap',
  async run(kc, ns) {
    const core = kc.makeApiClient(CoreV1Api);
    const start = await core.listNamespacedConfigMap({ namespace: ns });
    const events: { type: string; name?: string; data?: unknown }[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const watch = new Watch(kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: start.metadata?.resourceVersion, fieldSelector: 'metadata.name=w' },
      (type, obj: V1ConfigMap) => {
        events.push({ type, name: obj.metadata?.name, data: obj.data });
        if (type === 'DELETED') resolveDone();
      },
      () => resolveDone(),
    );
    await core.createNamespacedConfigMap({ namespace: ns, body: cm(ns, 'w', { v: '1' }) });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm(ns, 'other', { v: '1' }) });
    await core.patchNamespacedConfigMap({
      name: 'w',
      namespace: ns,
      body: [{ op: 'replace', path: '/data/v', value: '2' }],
    });
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: ns });
    const timeout = setTimeout(resolveDone, 15_000);
    await done;
    clearTimeout(timeout);
    controller.abort();
    return events;
  },
};

export const customResources: Scenario = {
  name: 'CRD create, discovery, custom resource',
  async run(kc, ns) {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const group = `${ns}.flotilla.dev`;
    const crd = await ext.createCustomResourceDefinition({
      body: {
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
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      properties: {
                        size: { type: 'integer' },
                        tags: { type: 'object', additionalProperties: { type: 'string' } },
                      },
                    },
                    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    let established = false;
    for (let i = 0; i < 100 && !established; i++) {
      const c = await ext.readCustomResourceDefinition({ name: `widgets.${group}` });
      established = (c.status?.conditions ?? []).some((x) => x.type === 'Established' && x.status === 'True');
      if (!established) await sleep(100);
    }
    const api = KubernetesObjectApi.makeApiClient(kc);
    let resource: unknown;
    for (let i = 0; i < 100 && !resource; i++) {
      resource = await (api as unknown as { resource(v: string, k: string): Promise<unknown> })
        .resource(`${group}/v1`, 'Widget')
        .catch(() => undefined);
      if (!resource) await sleep(100);
    }
    const r = resource as { name: string; namespaced: boolean; kind: string; verbs: string[] } | undefined;
    const widget = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: ns },
      spec: { size: 3, tags: { a: 'b' } },
      status: { ready: true },
    };
    const created = (await api.create(widget as KubernetesObject)) as KubernetesObject & Obj;
    const applied = (await api.patch(
      { ...widget, spec: { size: 4, tags: { a: 'b' } }, status: undefined } as unknown as KubernetesObject,
      undefined,
      undefined,
      'mgr-cr',
      true,
      PatchStrategy.ServerSideApply,
    )) as KubernetesObject & Obj;
    const listed = await api.list(`${group}/v1`, 'Widget', ns);
    await ext.deleteCustomResourceDefinition({ name: `widgets.${group}` });
    return normalise({
      crdGeneration: crd.metadata?.generation,
      established,
      discovery: r ? { name: r.name, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs].sort() } : null,
      created: {
        apiVersion: created.apiVersion,
        kind: created.kind,
        spec: created.spec,
        status: created.status ?? null,
        generation: created.metadata?.generation,
        managed: managedFieldsOf(created),
      },
      applied: { spec: applied.spec, generation: applied.metadata?.generation, managed: managedFieldsOf(applied) },
      listedKinds: listed.items.map((i) => [i.apiVersion, i.kind]),
    });
  },
};

export const dryRun: Scenario = {
  name: 'dry run leaves nothing behind',
  async run(kc, ns) {
    const core = kc.makeApiClient(CoreV1Api);
    const api = KubernetesObjectApi.makeApiClient(kc);
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: cm(ns, 'dry', { a: '1' }),
      dryRun: 'All',
    });
    const applied = await api.patch(
      cm(ns, 'dry-apply', { a: '1' }) as KubernetesObject,
      undefined,
      'All',
      'mgr',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    await core.createNamespacedConfigMap({ namespace: ns, body: cm(ns, 'real', { a: '1' }) });
    const updated = await core.patchNamespacedConfigMap({
      name: 'real',
      namespace: ns,
      body: [{ op: 'replace', path: '/data/a', value: '2' }],
      dryRun: 'All',
    });
    const deleted = await core.deleteNamespacedConfigMap({ name: 'real', namespace: ns, dryRun: 'All' });
    return normalise({
      created: { name: created.metadata?.name, data: created.data, hasUid: Boolean(created.metadata?.uid) },
      applied: { name: applied.metadata?.name },
      updated: updated.data,
      deletedStatus: (deleted as Obj).status ?? (deleted as Obj).kind,
      afterCreate: await outcomeOf(() => core.readNamespacedConfigMap({ name: 'dry', namespace: ns })),
      afterApply: await outcomeOf(() => core.readNamespacedConfigMap({ name: 'dry-apply', namespace: ns })),
      afterUpdateAndDelete: (await core.readNamespacedConfigMap({ name: 'real', namespace: ns })).data,
    });
  },
};

export const ALL_SCENARIOS: Scenario[] = [
  statusCodes,
  serverSideApply,
  deploymentApply,
  patches,
  listing,
  watchSequence,
  customResources,
  dryRun,
];

/** A KubeConfig for a server URL and optional bearer token (the emulator's clusters, for instance). */
export function kubeConfigFromYaml(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}
