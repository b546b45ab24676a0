// The query side on a large log: history, drift and time travel through the hub's real HTTP
// API on a generated fleet log (>= 100,000 events across 1,000 clusters, appended through the
// real event store). Each figure is the p99 of 200 varied requests made one at a time; the
// time-travel baseline is the same question answered by replaying the cluster's stream.
// Run: npm run bench:queries   (the last line is the result)

import { createTestDatabase } from '@flotilla/testing';
import { openHubDatabase } from '../../services/hub/src/database/hub-data-source';
import { generateFleetLog } from '../../services/hub/src/history/testing/fleet-log.generator';
import { startQueriesTestHub } from '../../services/hub/src/history/testing/queries-test-hub';
import { replayClusterState } from '../../services/hub/src/time-travel/cluster-state';

const totalEvents = Number(process.env.FLOTILLA_BENCH_EVENTS ?? 100_000);
const clusterCount = Number(process.env.FLOTILLA_BENCH_CLUSTERS ?? 1_000);
const requestsPerQuery = 200;
const warmupRequests = 20;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmt = (ms: number) => ms.toFixed(1);

/** mulberry32, so that every run asks the same questions. */
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

async function main(): Promise<void> {
  console.log(`queries bench: generating ${totalEvents} events across ${clusterCount} clusters`);
  const db = await createTestDatabase('queries_bench');
  let hub: Awaited<ReturnType<typeof startQueriesTestHub>> | undefined;
  try {
    const setup = await openHubDatabase({ url: db.url, poolSize: 2, connectTimeoutMs: 10_000 });
    const generatedAt = performance.now();
    const log = await generateFleetLog(setup.dataSource, { clusters: clusterCount, events: totalEvents });
    await setup.dataSource.query('ANALYZE');
    const generateMs = performance.now() - generatedAt;
    const [{ size }] = await setup.dataSource.query(`SELECT pg_size_pretty(pg_total_relation_size('events')) AS size`);
    await setup.close();
    console.log(
      `generated ${log.events} events (head ${log.head}) in ${(generateMs / 1000).toFixed(1)} s; events table ${size}`,
    );

    const startedAt = performance.now();
    hub = await startQueriesTestHub(db.url);
    console.log(
      `hub up, read models caught up from position 0 in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    const h = hub;
    // A hub that has run a while has had its tables vacuumed and analysed; one that just
    // projected 100,000 events would otherwise measure autovacuum catching up.
    await h.dataSource.query('VACUUM ANALYZE');
    const rng = random(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
    const span = log.end.getTime() - log.start.getTime();
    const someTime = () => new Date(log.start.getTime() + Math.floor(rng() * span));
    const live = log.clusterIds.filter((id) => !log.deregistered.includes(id));

    const historyQueries: Array<() => string> = [
      () => `cluster=${pick(log.clusterIds)}`,
      () => `cluster=${pick(log.clusterIds)}&order=oldest`,
      () => `group=${pick(log.groups)}&limit=50`,
      () => `application=${pick(log.applications)}`,
      () => `application=${pick(log.applications)}&type=SyncFailed`,
      () => `source=${pick(log.sources)}`,
      () => `commit=${pick(log.commits).slice(0, 8)}`,
      () => `type=DriftDetected,DriftCorrected`,
      () => `actor=${pick(log.actors)}`,
      () => `actor=agent:${pick(log.clusterIds)}&type=SyncSucceeded`,
      () => {
        const since = someTime();
        return `since=${since.toISOString()}&until=${new Date(since.getTime() + 3_600_000).toISOString()}`;
      },
      () => `cluster=${pick(log.clusterIds)}&until=${someTime().toISOString()}`,
      () => ``,
    ];
    const driftQueries: Array<() => string> = [
      () => `/api/v1/drift`,
      () => `/api/v1/drift?application=${pick(log.applications)}`,
      () => `/api/v1/drift?group=${pick(log.groups)}`,
      () => `/api/v1/drift?cluster=${pick(log.clusterIds)}`,
      () => `/api/v1/drift/history?since=${someTime().toISOString()}&application=${pick(log.applications)}`,
      () => `/api/v1/drift/history?since=${someTime().toISOString()}&group=${pick(log.groups)}&limit=100`,
      () => `/api/v1/drift/history?cluster=${pick(log.clusterIds)}`,
    ];

    async function measure(name: string, next: () => string): Promise<number[]> {
      const samples: number[] = [];
      for (let i = 0; i < warmupRequests + requestsPerQuery; i++) {
        const path = next();
        const began = performance.now();
        const response = await h.get(path);
        const elapsed = performance.now() - began;
        if (response.status !== 200)
          throw new Error(`${name}: GET ${path} answered ${response.status}: ${response.text}`);
        if (i >= warmupRequests) samples.push(elapsed);
      }
      console.log(
        `${name}: p50 ${fmt(percentile(samples, 50))} ms, p99 ${fmt(percentile(samples, 99))} ms over ${samples.length} requests`,
      );
      return samples;
    }

    let round = 0;
    const history = await measure('history', () => {
      const query = historyQueries[round++ % historyQueries.length]!();
      return `/api/v1/history${query ? `?${query}` : ''}`;
    });
    round = 0;
    const drift = await measure('drift', () => driftQueries[round++ % driftQueries.length]!());
    const state = await measure(
      'state-at',
      () => `/api/v1/clusters/${pick(live)}/state?at=${someTime().toISOString()}`,
    );

    // Baseline: the same answer by replaying the cluster's stream (what the projection saves).
    const replay: number[] = [];
    for (let i = 0; i < warmupRequests + requestsPerQuery; i++) {
      const clusterId = pick(live);
      const at = someTime();
      const began = performance.now();
      const events = await h.store.readStream(`cluster-${clusterId}`);
      replayClusterState(clusterId, events, at);
      if (i >= warmupRequests) replay.push(performance.now() - began);
    }
    console.log(
      `state-at baseline (in-process replay of the cluster's stream, no HTTP): p99 ${fmt(percentile(replay, 99))} ms; ` +
        `projection over HTTP / replay: ${(percentile(state, 99) / percentile(replay, 99)).toFixed(2)}x`,
    );
    console.log(
      `queries: history p99 ${fmt(percentile(history, 99))} ms, drift p99 ${fmt(percentile(drift, 99))} ms, ` +
        `state-at p99 ${fmt(percentile(state, 99))} ms over ${log.events} events`,
    );
  } finally {
    await hub?.close().catch(() => undefined);
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
