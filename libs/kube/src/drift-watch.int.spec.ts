import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer } from '@flotilla/testing';
import { Reconciler } from './reconciler';
import type { ReconcileEvent } from './reconcile.events';
import type { Bundle, SyncPolicy } from './reconcile.types';
import type { KubeObject } from './resource-ref';

// Finding 3 of issue 11 on the real kube-apiserver: watches that end (here every few seconds,
// as a server or proxy may end them) resume from their last resourceVersion instead of
// re-listing and re-checking everything, an idle agent does at most one full drift check per
// period, and a new revision never waits behind a drift check. Requests are counted at the
// client, so the assertions hold whatever the reconciler's internals.
jest.setTimeout(180_000);

class CountingKubeConfig extends KubeConfig {
  readonly requests: { at: number; method: string; url: string }[] = [];
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    this.requests.push({ at: Date.now(), method: context.getHttpMethod(), url: context.getUrl() });
    return super.applySecurityAuthentication(context);
  }
}

const objects = 150;
const periodMs = 6_000;
const idleMs = 16_000;
const policy: SyncPolicy = { prune: true, driftMode: 'detect', ignoredFields: {} };

let server: KubeApiServer;

beforeAll(async () => {
  // The server ends every watch after 3-6 s (its default is 30-60 min): what a proxy or a
  // restart does sooner or later, compressed into the test's time.
  server = await startKubeApiServer({ apiserverArgs: ['--min-request-timeout=3'] });
});
afterAll(async () => {
  await server?.stop();
});

function bundle(namespace: string, version: string): Bundle {
  const items: KubeObject[] = [];
  for (let i = 0; i < objects; i++) {
    items.push(
      i % 5 === 0
        ? { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `sa-${i}`, namespace } }
        : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace }, data: { version } },
    );
  }
  return { digest: `sha256:${version}`, objects: items };
}

it('an idle agent with 150 objects resumes its watches, checks fully at most once a period, and starts a new revision within 2 s', async () => {
  const kc = new CountingKubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `drift-${randomBytes(3).toString('hex')}`;
  const inventoryNamespace = `inv-${randomBytes(3).toString('hex')}`;
  for (const name of [namespace, inventoryNamespace]) await core.createNamespace({ body: { metadata: { name } } });
  const events: ReconcileEvent[] = [];
  const r = new Reconciler(kc, {
    scope: { namespaces: ['*'], kinds: ['*'] },
    inventoryNamespace,
    onEvent: (e) => events.push(e),
    durations: { driftCheckIntervalMs: periodMs, driftDebounceMs: 200, watchTimeoutMs: 3_000 },
  });
  try {
    expect((await r.sync('web', bundle(namespace, 'one'), policy)).ok).toBe(true);
    r.startDriftWatch();
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    // Idle: nothing changes in the cluster.
    const idleFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const idle = kc.requests.filter((q) => q.at >= idleFrom && q.at < idleFrom + idleMs);
    const objectReads = idle.filter((q) => q.method === 'GET' && /\/namespaces\/drift-[^/]+\/\w+\/[\w-]+$/.test(q.url));
    const watches = idle.filter((q) => q.url.includes('watch=true'));
    const lists = idle.filter(
      (q) => q.method === 'GET' && /\/namespaces\/drift-[^/]+\/\w+(\?(?!.*watch=true).*)?$/.test(q.url),
    );
    const fullChecks = Math.ceil(objectReads.length / objects);
    const allowed = Math.floor(idleMs / periodMs) + 1;
    const summary = {
      fullChecks,
      allowed,
      objectReads: objectReads.length,
      watches: watches.length,
      lists: lists.length,
    };
    // At most one full check per period, no re-list, and the watches did end and resume.
    expect(summary).toEqual({ ...summary, fullChecks: Math.min(fullChecks, allowed), lists: 0 });
    expect(watches.length).toBeGreaterThanOrEqual(4);
    for (const w of watches)
      expect({ url: w.url, resumed: /resourceVersion=\d+/.test(w.url) }).toEqual({ url: w.url, resumed: true });
    for (const w of watches) expect(w.url).toContain('allowWatchBookmarks=true');

    // A full check is running when a new revision arrives: the sync starts within 2 s.
    const check = r.checkDrift('web');
    const checkFrom = Date.now();
    while (
      !kc.requests.some((q) => q.at >= checkFrom && q.method === 'GET' && q.url.includes(`/namespaces/${namespace}/`))
    )
      await new Promise((resolve) => setTimeout(resolve, 5));
    const arrivedAt = Date.now();
    const synced = r.sync('web', bundle(namespace, 'two'), policy);
    const started = await waitForEvent(
      events,
      (e) => e.type === 'SyncStarted' && e.bundleDigest === 'sha256:two',
      30_000,
    );
    expect(started - arrivedAt).toBeLessThan(2_000);
    expect(await check).toMatchObject({ interrupted: true });
    expect((await synced).ok).toBe(true);
  } finally {
    r.stopDriftWatch();
  }
});

async function waitForEvent(
  events: ReconcileEvent[],
  match: (e: ReconcileEvent) => boolean,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!events.some(match)) {
    if (Date.now() > deadline) throw new Error(`no matching reconcile event within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now();
}
