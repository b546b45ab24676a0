import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { parseApplicationSpec } from '@flotilla/manifests';
import { PostgresEventStore, type NewEvent, type StreamWrite } from '@flotilla/event-store';

/**
 * A realistic fleet log for the query tests and `npm run bench:queries`: sources and
 * applications, cluster groups, clusters registering and connecting, then rounds of
 * commits rolled out cluster by cluster (RevisionRendered, DesiredStateAssigned, SyncStarted,
 * SyncSucceeded or SyncFailed, HealthChanged), drift episodes (detected, corrected at once
 * where the application corrects, resolved later where it only detects), applications
 * removed from a few clusters and a few clusters deregistered. Appended through the real
 * event store (hash chain, versions) in big appendMany batches, with recorded times spread
 * over a span that ends now. Deterministic for a seed.
 */
export interface FleetLogOptions {
  clusters: number;
  /** The log holds at least this many events when the generator returns. */
  events: number;
  applications?: number;
  seed?: number;
  /** Recorded time of the first and last events: [end - spanMs, end]. */
  end?: Date;
  spanMs?: number;
  /** Events per appendMany. */
  batchEvents?: number;
}

export interface FleetLog {
  events: number;
  head: number;
  start: Date;
  end: Date;
  clusterIds: string[];
  clusterNames: string[];
  deregistered: string[];
  applications: string[];
  sources: string[];
  groups: string[];
  /** Every commit observed, oldest first. */
  commits: string[];
  actors: string[];
}

const defaults = { applications: 12, seed: 42, spanMs: 14 * 24 * 3_600_000, batchEvents: 2_000 };
const envs = ['prod', 'staging', 'dev'];
const regions = ['eu', 'us'];
const groupSelectors: Record<string, Record<string, string>> = {
  prod: { env: 'prod' },
  staging: { env: 'staging' },
  dev: { env: 'dev' },
  eu: { region: 'eu' },
  us: { region: 'us' },
};
const people = ['token:alice', 'token:bob', 'token:ci-deploy'];

/** mulberry32: small, fast, good enough to vary a fixture. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

interface ClusterFixture {
  id: string;
  name: string;
  labels: Record<string, string>;
  revision: number;
  deregistered: boolean;
  /** Application name -> its entry in the cluster's desired state. */
  assigned: Map<
    string,
    { name: string; source: string; commit: string; bundleDigest: string; namespace: string; policy: object }
  >;
  /** Applications removed from this cluster: not assigned to it again. */
  removed: Set<string>;
  /** Open drift (detect mode), by application. */
  drifted: Map<string, { apiVersion: string; kind: string; namespace: string; name: string }>;
}

interface AppFixture {
  name: string;
  source: string;
  group: string | null;
  driftMode: 'detect' | 'correct';
}

export async function generateFleetLog(dataSource: DataSource, options: FleetLogOptions): Promise<FleetLog> {
  const o = { ...defaults, ...options };
  const rng = random(o.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const end = o.end ?? new Date();
  const start = new Date(end.getTime() - o.spanMs);
  let appended = 0;
  // Recorded time follows the share of the log written so far, so time and position grow together.
  const now = () => new Date(start.getTime() + Math.floor((o.spanMs * Math.min(appended, o.events)) / o.events));
  const store = new PostgresEventStore(dataSource, { clock: now });

  let pending: Array<{ streamId: string; event: NewEvent }> = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const byStream = new Map<string, NewEvent[]>();
    for (const { streamId, event } of pending) {
      const list = byStream.get(streamId) ?? [];
      list.push(event);
      byStream.set(streamId, list);
    }
    const writes: StreamWrite[] = [...byStream.entries()].map(([streamId, events]) => ({
      streamId,
      events,
      expectedVersion: 'any',
    }));
    await store.appendMany(writes, { metadata: { actor: 'system:fleet-log' } });
    appended += pending.length;
    pending = [];
  };
  const add = async (streamId: string, type: string, data: object, actor: string) => {
    pending.push({ streamId, event: { type, data, metadata: { actor } } });
    if (pending.length >= o.batchEvents) await flush();
  };
  const at = () => now().toISOString();

  try {
    const sources = ['platform', 'apps'];
    for (const source of sources) {
      await add(
        `source-${source}`,
        'SourceAdded',
        { name: source, url: `https://git.example.com/${source}.git`, branch: 'main', pollIntervalSeconds: 60 },
        'token:alice',
      );
    }
    const groups = Object.keys(groupSelectors);
    for (const name of groups) {
      await add(
        `cluster-group-${name}`,
        'ClusterGroupCreated',
        { name, selector: { matchLabels: groupSelectors[name] }, description: `${name} clusters` },
        'token:alice',
      );
    }
    const apps: AppFixture[] = Array.from({ length: o.applications }, (_, i) => ({
      name: `app-${String(i).padStart(2, '0')}`,
      source: sources[i % sources.length]!,
      group: i % 6 === 0 ? null : groups[i % groups.length]!,
      driftMode: i % 3 === 0 ? 'correct' : 'detect',
    }));
    for (const app of apps) {
      const spec = parseApplicationSpec({
        apiVersion: 'flotilla.dev/v1',
        kind: 'Application',
        metadata: { name: app.name },
        spec: {
          source: app.source,
          path: `apps/${app.name}`,
          targets: [app.group ? { group: app.group, namespace: app.name } : { selector: {}, namespace: app.name }],
          syncPolicy: { automated: true, prune: true, driftMode: app.driftMode },
        },
      }).spec;
      await add(`application-${app.name}`, 'ApplicationCreated', { name: app.name, spec }, pick(people));
    }
    const clusters: ClusterFixture[] = Array.from({ length: o.clusters }, (_, i) => ({
      id: `c${hex(`${o.seed}:cluster:${i}`, 16)}`,
      name: `cl-${String(i).padStart(4, '0')}`,
      labels: { env: envs[i % envs.length]!, region: regions[Math.floor(i / envs.length) % regions.length]! },
      revision: 0,
      deregistered: false,
      assigned: new Map(),
      removed: new Set(),
      drifted: new Map(),
    }));
    for (const cluster of clusters) {
      const stream = `cluster-${cluster.id}`;
      await add(
        stream,
        'ClusterRegistered',
        {
          clusterId: cluster.id,
          name: cluster.name,
          labels: cluster.labels,
          publicKey: `U${hex(cluster.id, 55).toUpperCase()}`,
          agentVersion: '0.1.0',
          kubernetesVersion: 'v1.30.2',
          tokenId: hex(`token:${cluster.id}`, 12),
          registeredAt: at(),
        },
        'system:registration',
      );
      await add(stream, 'ClusterConnected', { clusterId: cluster.id, at: at() }, 'system:liveness');
    }

    const commits: string[] = [];
    const targets = (app: AppFixture) =>
      clusters.filter(
        (c) =>
          !c.deregistered &&
          !c.removed.has(app.name) &&
          (app.group === null || Object.entries(groupSelectors[app.group]!).every(([k, v]) => c.labels[k] === v)),
      );
    const desired = (cluster: ClusterFixture) => ({
      clusterId: cluster.id,
      revision: ++cluster.revision,
      applications: [...cluster.assigned.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    });

    let round = 0;
    while (appended + pending.length < o.events) {
      round += 1;
      // An append groups its events by stream; starting each round on a fresh append keeps
      // cause before effect across streams (a commit before the desired states naming it).
      await flush();
      const app = pick(apps);
      const commit = hex(`${o.seed}:commit:${round}`, 40);
      commits.push(commit);
      const author = pick(['Alice <alice@example.com>', 'Bob <bob@example.com>']);
      await add(
        `source-${app.source}`,
        'CommitObserved',
        {
          source: app.source,
          branch: 'main',
          sha: commit,
          parents: commits.length > 1 ? [commits.at(-2)] : [],
          author: { name: author.split(' <')[0], email: author.split('<')[1]!.slice(0, -1) },
          authoredAt: at(),
          committedAt: at(),
          message: `${app.name}: change ${round}`,
          changedPaths: [`apps/${app.name}/deployment.yaml`],
          changedPathsTruncated: false,
          observedAt: at(),
        },
        'system:git-poller',
      );
      const rollout = targets(app);
      const digestFor = (cluster: ClusterFixture) => `sha256:${hex(`${app.name}:${commit}:${cluster.id}`, 64)}`;
      for (const cluster of rollout) {
        const bundleDigest = digestFor(cluster);
        await add(
          `application-${app.name}`,
          'RevisionRendered',
          {
            application: app.name,
            source: app.source,
            commit,
            clusterId: cluster.id,
            bundleDigest,
            objectCount: 3,
            sizeBytes: 2048 + Math.floor(rng() * 1024),
          },
          'system:renderer',
        );
      }
      for (const cluster of rollout) {
        const stream = `cluster-${cluster.id}`;
        const agent = `agent:${cluster.id}`;
        const bundleDigest = digestFor(cluster);
        cluster.assigned.set(app.name, {
          name: app.name,
          source: app.source,
          commit,
          bundleDigest,
          namespace: app.name,
          policy: { automated: true, prune: true, driftMode: app.driftMode, ignoredFields: {} },
        });
        const state = desired(cluster);
        await add(stream, 'DesiredStateAssigned', state, 'system:desired-state');
        const sync = { clusterId: cluster.id, application: app.name, revision: state.revision, commit, bundleDigest };
        await add(stream, 'SyncStarted', { ...sync, at: at() }, agent);
        const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: app.name, name: app.name };
        if (rng() < 0.05) {
          await add(
            stream,
            'SyncFailed',
            {
              ...sync,
              at: at(),
              message: 'apply failed: admission webhook denied the request',
              resources: [{ ref: deployment, action: 'failed', reason: 'Forbidden', message: 'denied' }],
            },
            agent,
          );
        } else {
          await add(
            stream,
            'SyncSucceeded',
            {
              ...sync,
              at: at(),
              resources: [
                { ref: deployment, action: 'configured' },
                {
                  ref: { apiVersion: 'v1', kind: 'Service', namespace: app.name, name: app.name },
                  action: 'unchanged',
                },
                {
                  ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: app.name, name: `${app.name}-config` },
                  action: 'configured',
                },
              ],
            },
            agent,
          );
        }
        if (rng() < 0.3) {
          await add(
            stream,
            'HealthChanged',
            {
              clusterId: cluster.id,
              application: app.name,
              status: 'healthy',
              previous: 'progressing',
              message: 'all replicas available',
              at: at(),
            },
            agent,
          );
        }
        // The sync re-applied the application: detected drift of it is gone, mostly.
        const open = cluster.drifted.get(app.name);
        if (open && rng() < 0.7) {
          await add(
            stream,
            'DriftResolved',
            { clusterId: cluster.id, application: app.name, resource: open, at: at() },
            agent,
          );
          cluster.drifted.delete(app.name);
        }
      }
      // Someone edits live objects here and there.
      for (const cluster of clusters) {
        if (cluster.deregistered || cluster.assigned.size === 0 || rng() > 0.04) continue;
        const target = pick([...cluster.assigned.values()]);
        const fixture = apps.find((a) => a.name === target.name)!;
        if (cluster.drifted.has(target.name)) continue;
        const stream = `cluster-${cluster.id}`;
        const agent = `agent:${cluster.id}`;
        const resource = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: target.name, name: target.name };
        const fields = [{ path: '/spec/replicas', desired: 3, live: 1 + Math.floor(rng() * 9) }];
        const drift = { clusterId: cluster.id, application: target.name, resource, reason: 'modified', fields };
        await add(stream, 'DriftDetected', { ...drift, mode: fixture.driftMode, at: at() }, agent);
        if (fixture.driftMode === 'correct') await add(stream, 'DriftCorrected', { ...drift, at: at() }, agent);
        else cluster.drifted.set(target.name, resource);
      }
      // Now and then an application leaves a few clusters (pruned by their agents).
      if (round % 10 === 0) {
        for (const cluster of targets(app).slice(0, 3)) {
          if (!cluster.assigned.has(app.name)) continue;
          cluster.assigned.delete(app.name);
          cluster.removed.add(app.name);
          cluster.drifted.delete(app.name);
          const stream = `cluster-${cluster.id}`;
          await add(stream, 'DesiredStateAssigned', desired(cluster), 'system:desired-state');
          await add(
            stream,
            'ApplicationRemoved',
            { clusterId: cluster.id, application: app.name, pruned: true, at: at() },
            `agent:${cluster.id}`,
          );
        }
      }
      // And a cluster is retired.
      if (round % 25 === 0) {
        const cluster = pick(clusters.filter((c) => !c.deregistered));
        cluster.deregistered = true;
        await add(
          `cluster-${cluster.id}`,
          'ClusterDeregistered',
          { clusterId: cluster.id, publicKey: `U${hex(cluster.id, 55).toUpperCase()}`, name: cluster.name },
          'token:alice',
        );
      }
    }
    await flush();
    return {
      events: appended,
      head: await store.headPosition(),
      start,
      end: now(),
      clusterIds: clusters.map((c) => c.id),
      clusterNames: clusters.map((c) => c.name),
      deregistered: clusters.filter((c) => c.deregistered).map((c) => c.id),
      applications: apps.map((a) => a.name),
      sources,
      groups,
      commits,
      actors: [...people, 'system:git-poller', 'system:renderer', 'system:desired-state'],
    };
  } finally {
    await store.close();
  }
}
