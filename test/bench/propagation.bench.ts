// `npm run bench:propagation`: how long a commit takes to reach a fleet. A real hub process
// (operator-mode NATS, Postgres), a git repository made on the spot with a web application
// (a namespace, two ConfigMaps, a Deployment) targeting every cluster, and N simulated
// clusters (whole agents in this process against the Kubernetes API emulator) registered
// through real one-time tokens. Each round commits new manifests, sends the source's signed
// webhook at t0 (the source is polled once a day, so only the webhook moves it) and measures,
// per cluster, t0 -> that cluster's SyncSucceeded for that commit, using the event's
// recordedAt (when the hub appended it: the moment the hub knows). The baseline measured in
// the same run is t0 -> CommitObserved (the hub's git fetch alone).
//
//   FLOTILLA_BENCH_CLUSTERS (default 100), FLOTILLA_BENCH_ROUNDS (default 5)
// Last line: `propagation: N clusters, p50 X ms, p99 Y ms commit->synced`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPostgresEventStore, type PostgresEventStore, type RecordedEvent } from '@flotilla/event-store';
import { hubRegistrationTokens } from '../../services/agent/src/fleet/hub-registration-tokens';
import { startSimulatedFleet, type SimulatedFleet } from '../../services/agent/src/fleet/simulated-fleet';
import { GitRepository } from '../../services/agent/src/fleet/testing/git-repository';
import { startHubUnderTest, type HubUnderTest } from '../../services/agent/src/fleet/testing/hub-under-test';
import { deployWebApplication, syncedOn, webManifests } from '../../services/agent/src/fleet/testing/web-application';

const clusterCount = positiveInt('FLOTILLA_BENCH_CLUSTERS', 100);
const rounds = positiveInt('FLOTILLA_BENCH_ROUNDS', 5);
const bench = {
  /** Agents and hub agree on it; short enough that liveness is exercised, long enough not to dominate NATS. */
  heartbeatIntervalMs: 5_000,
  registrationTimeoutMs: 5 * 60_000,
  firstSyncTimeoutMs: 5 * 60_000,
  roundTimeoutMs: 3 * 60_000,
  pollMs: 100,
  progressMs: 2_000,
  /** Between rounds, so a round's trailing health reports do not load the next one. */
  settleMs: 1_000,
};
const application = 'web';
const source = 'bench';

const started = Date.now();
const step = (message: string) =>
  console.log(`[propagation +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function positiveInt(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${variable} must be a positive integer, got "${raw}"`);
  return value;
}

function percentile(sorted: number[], p: number): number {
  // Nearest rank: with 500 samples p99 is the 495th, a value that was really measured.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function until<T>(what: string, timeoutMs: number, hub: HubUnderTest, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    hub.assertRunning();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, bench.pollMs));
  }
}

/** Reads the log forward from a position, in pages, remembering where it stopped. */
class LogTail {
  constructor(
    private readonly store: PostgresEventStore,
    private after: number,
  ) {}

  async next(types: string[]): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for (;;) {
      const page = await this.store.readAll({ after: this.after, types, limit: 5_000 });
      out.push(...page);
      if (page.length === 0) return out;
      this.after = page[page.length - 1]!.position;
      if (page.length < 5_000) return out;
    }
  }
}

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: Error) => step(`cleanup: ${err.message}`));
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    step(`starting NATS (operator mode), a Postgres database and the hub`);
    const hub = await startHubUnderTest({ heartbeatIntervalMs: bench.heartbeatIntervalMs });
    cleanups.push(() => hub.close());
    const store = await createPostgresEventStore({ url: hub.databaseUrl, poolSize: 2 });
    cleanups.push(() => store.close());
    const repository = await GitRepository.create('flotilla-bench-src');
    cleanups.push(() => repository.dispose());
    const stateDir = mkdtempSync(path.join(tmpdir(), 'flotilla-bench-fleet-'));
    cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));

    step(
      `starting ${clusterCount} simulated clusters (agents in this process, one emulator), registering with real tokens`,
    );
    const regions = ['eu', 'us', 'ap'];
    const registrationStarted = Date.now();
    const fleet: SimulatedFleet = await startSimulatedFleet({
      natsUrl: hub.natsUrl,
      clusters: { count: clusterCount, namePrefix: 'bench', labels: (i) => ({ env: 'prod', region: regions[i % 3]! }) },
      registrationToken: hubRegistrationTokens({ hubUrl: hub.hubUrl, apiToken: hub.adminToken }),
      stateDir,
      heartbeatIntervalMs: bench.heartbeatIntervalMs,
    });
    cleanups.push(() => fleet.stop());
    const progress = setInterval(() => {
      const agents = fleet.agents();
      step(
        `  registered ${agents.filter((a) => a.clusterId).length}/${clusterCount}, connected ${agents.filter((a) => a.state === 'connected').length}/${clusterCount}`,
      );
    }, bench.progressMs);
    try {
      await fleet.whenConnected(bench.registrationTimeoutMs);
    } finally {
      clearInterval(progress);
    }
    const memory = fleet.memory();
    step(
      `${clusterCount} agents registered and connected in ${((Date.now() - registrationStarted) / 1000).toFixed(1)} s; ` +
        `process rss ${mib(memory.rssBytes)} (${mib(memory.baselineRssBytes)} before the first agent, ${(memory.perAgentBytes / 1024 / 1024).toFixed(2)} MiB per agent)`,
    );

    step(`source "${source}" (webhook secret, polled once a day) and application "${application}" -> every cluster`);
    const deployment = await deployWebApplication(hub, repository, { source, application });
    const firstSyncStarted = Date.now();
    let lastPrinted = 0;
    await until(`every cluster synced and healthy on the first commit`, bench.firstSyncTimeoutMs, hub, async () => {
      const { done, total } = await syncedOn(hub, application, deployment.firstCommit);
      if (Date.now() - lastPrinted >= bench.progressMs) {
        lastPrinted = Date.now();
        step(`  first commit: ${done}/${clusterCount} clusters synced and healthy (${total} assigned)`);
      }
      return done === clusterCount ? true : undefined;
    });
    step(
      `all ${clusterCount} clusters synced and healthy on ${deployment.firstCommit.slice(0, 12)} after ${((Date.now() - firstSyncStarted) / 1000).toFixed(1)} s`,
    );

    const clusterIds = new Set(fleet.agents().map((a) => a.clusterId!));
    const samples: number[] = [];
    const observed: number[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      await new Promise((r) => setTimeout(r, bench.settleMs));
      const commit = await repository.commit(`web: round ${round}`, webManifests(round));
      const tail = new LogTail(store, await store.headPosition());
      const t0 = Date.now();
      const status = await hub.sendWebhook(source, deployment.webhookSecret, {
        ref: 'refs/heads/main',
        after: commit,
        repository: { clone_url: repository.url },
      });
      if (status !== 202) throw new Error(`the hub answered the webhook with ${status}, expected 202`);

      const synced = new Map<string, number>();
      // Where the time goes, per cluster: the hub assigned (recordedAt), the agent started and
      // finished applying (its own `at`), the hub recorded the success (recordedAt, = synced).
      const assigned = new Map<string, number>();
      const syncStarted = new Map<string, number>();
      const applied = new Map<string, number>();
      let observedAt: number | undefined;
      let printedAt = Date.now();
      await until(
        `round ${round}: every cluster's SyncSucceeded for ${commit.slice(0, 12)}`,
        bench.roundTimeoutMs,
        hub,
        async () => {
          for (const event of await tail.next([
            'CommitObserved',
            'DesiredStateAssigned',
            'SyncStarted',
            'SyncSucceeded',
            'SyncFailed',
          ])) {
            const data = event.data as {
              sha?: string;
              commit?: string;
              clusterId?: string;
              application?: string;
              message?: string;
              at?: string;
              applications?: Array<{ name: string; commit: string }>;
            };
            const since = (at: Date | string) => new Date(at).getTime() - t0;
            if (event.type === 'CommitObserved' && data.sha === commit) observedAt ??= since(event.recordedAt);
            if (
              event.type === 'DesiredStateAssigned' &&
              data.applications?.some((a) => a.name === application && a.commit === commit) &&
              !assigned.has(data.clusterId!)
            )
              assigned.set(data.clusterId!, since(event.recordedAt));
            if (event.type === 'SyncStarted' && data.commit === commit && !syncStarted.has(data.clusterId!))
              syncStarted.set(data.clusterId!, since(data.at!));
            if (event.type === 'SyncSucceeded' && data.commit === commit && !applied.has(data.clusterId!))
              applied.set(data.clusterId!, since(data.at!));
            if (event.type === 'SyncFailed' && data.commit === commit)
              step(`  round ${round}: cluster ${data.clusterId} failed to sync: ${data.message}`);
            if (
              event.type === 'SyncSucceeded' &&
              data.commit === commit &&
              data.application === application &&
              clusterIds.has(data.clusterId!) &&
              !synced.has(data.clusterId!)
            )
              synced.set(data.clusterId!, event.recordedAt.getTime() - t0);
          }
          if (Date.now() - printedAt >= bench.progressMs) {
            printedAt = Date.now();
            step(
              `  round ${round}: ${synced.size}/${clusterCount} synced after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
            );
          }
          return synced.size === clusterCount ? true : undefined;
        },
      ).catch((err: Error) => {
        const missing = [...clusterIds].filter((id) => !synced.has(id));
        throw new Error(
          `${err.message}; ${synced.size}/${clusterCount} synced, missing e.g. ${missing.slice(0, 5).join(', ')}`,
          {
            cause: err,
          },
        );
      });
      const latencies = [...synced.values()].sort((a, b) => a - b);
      samples.push(...latencies);
      if (observedAt !== undefined) observed.push(observedAt);
      step(
        `round ${round}/${rounds}: ${commit.slice(0, 12)} observed after ${observedAt ?? '?'} ms; synced on ${clusterCount} clusters: ` +
          `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
      );
      const p50Of = (m: Map<string, number>) =>
        m.size > 0
          ? `${percentile(
              [...m.values()].sort((a, b) => a - b),
              50,
            )} ms`
          : '?';
      step(
        `  p50 after the webhook: assigned by the hub ${p50Of(assigned)}, sync started by the agent ${p50Of(syncStarted)}, ` +
          `applied by the agent ${p50Of(applied)}, recorded by the hub ${p50Of(synced)}; ` +
          `process rss ${mib(fleet.memory().rssBytes)}, heap used ${mib(fleet.memory().heapUsedBytes)}`,
      );
    }

    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const observedSorted = [...observed].sort((a, b) => a - b);
    const baseline = observedSorted.length > 0 ? percentile(observedSorted, 50) : undefined;
    const end = fleet.memory();
    step(`process rss at the end ${mib(end.rssBytes)} with ${clusterCount} agents and the emulator`);
    if (baseline !== undefined)
      step(
        `baseline: webhook -> CommitObserved p50 ${baseline} ms (the git fetch alone); commit->synced p50 is ${(p50 / Math.max(1, baseline)).toFixed(1)}x that`,
      );
    await cleanup();
    console.log(`propagation: ${clusterCount} clusters, p50 ${p50} ms, p99 ${p99} ms commit->synced`);
  } catch (err) {
    console.error(`propagation bench failed: ${(err as Error).message}`);
    await cleanup();
    process.exitCode = 1;
  }
}

void main();
