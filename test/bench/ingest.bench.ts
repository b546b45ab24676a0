// Status ingest throughput: reports from many clusters, already in JetStream, through the hub's
// status ingester into the log (decode, checks, per-cluster order, hash chain, ack after
// commit), against the plainest batched INSERT of the same rows into a bare table of the same
// Postgres, measured in the same run.
// Run: npm run bench:ingest   (the last line is the result)

import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Client } from 'pg';
import { encodeMessage, Headers, Health, statusKinds, statusSubject, StatusReportSchema } from '@flotilla/contracts';
import { connectTestNats, createTestDatabase, uniqueName } from '@flotilla/testing';
import { openHubDatabase } from '../../services/hub/src/database/hub-data-source';
import { ReadModelClusterDirectory } from '../../services/hub/src/status/cluster-directory';
import { decodeStatusReport } from '../../services/hub/src/status/status-event.mapping';
import { StatusIngester } from '../../services/hub/src/status/status-ingester';
import { clusterRegistered, reports } from '../../services/hub/src/status/testing/status-reports';

/** Reports ingested in all, spread evenly over `clusterCount` clusters. */
const totalReports = Number(process.env.FLOTILLA_BENCH_REPORTS ?? 100_000);
const clusterCount = Number(process.env.FLOTILLA_BENCH_CLUSTERS ?? 1_000);
/** Rows per INSERT statement of the baseline (the ingester's own batch bound is its business). */
const rawBatchSize = 500;
/** Publishes in flight while filling the stream. */
const publishWindow = 2_000;

const rate = (n: number, ms: number) => n / (ms / 1_000);

async function main(): Promise<void> {
  console.log(`ingest bench: ${totalReports} reports from ${clusterCount} clusters through JetStream into the log`);
  const nc = await connectTestNats();
  const db = await createTestDatabase('ingest_bench');
  const hub = await openHubDatabase({ url: db.url, poolSize: 4, connectTimeoutMs: 10_000 });
  const raw = new Client({ connectionString: db.url });
  const jsm = await jetstreamManager(nc);
  const run = uniqueName('bench');
  const config = {
    stream: uniqueName('BENCH_STATUS'),
    // One subject per cluster: a wildcard over every cluster would overlap other runs' streams.
    subjects: [] as string[],
    consumer: uniqueName('hub'),
  };
  const silent = { log: () => undefined, warn: (l: string) => console.warn(l), error: (l: string) => console.error(l) };
  let ingester: StatusIngester | undefined;
  try {
    await raw.connect();
    const clusterIds = Array.from({ length: clusterCount }, (_, i) => `${run}-${i}`);
    config.subjects = clusterIds.map((id) => `flotilla.v1.agent.${id}.status.>`);
    for (let i = 0; i < clusterIds.length; i += 500) {
      await hub.eventStore.appendMany(
        clusterIds.slice(i, i + 500).map((id) => ({
          streamId: `cluster-${id}`,
          expectedVersion: 0,
          events: [clusterRegistered(id)],
        })),
        { metadata: { actor: 'system:bench' } },
      );
    }

    // The reports, as agents' outboxes send them: one epoch per cluster, sequence 1, 2, ...
    const epochs = clusterIds.map(() => randomUUID());
    const messages = Array.from({ length: totalReports }, (_, n) => {
      const c = n % clusterCount;
      const seq = Math.floor(n / clusterCount) + 1;
      const status = [Health.PROGRESSING, Health.HEALTHY, Health.DEGRADED][seq % 3]!;
      const report = reports.healthChanged(clusterIds[c]!, 'web', status);
      const h = natsHeaders();
      h.set(Headers.outboxEpoch, epochs[c]!);
      h.set(Headers.outboxSequence, String(seq));
      return {
        subject: statusSubject(clusterIds[c]!, statusKinds.healthChanged),
        data: encodeMessage(StatusReportSchema, report),
        headers: h,
        clusterId: clusterIds[c]!,
        msgId: report.meta!.id,
      };
    });

    // Baseline: the same rows, decoded as the hub decodes them, in a bare table.
    await raw.query(`CREATE TABLE raw_status (position bigserial PRIMARY KEY, stream_id text NOT NULL,
      version integer NOT NULL, id uuid NOT NULL, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
      recorded_at timestamptz NOT NULL)`);
    const versions = new Map<string, number>();
    const rawBatches: string[] = [];
    for (let i = 0; i < messages.length; i += rawBatchSize) {
      const batch = messages.slice(i, i + rawBatchSize).map((m) => {
        const decoded = decodeStatusReport(m.data, m.clusterId);
        const version = (versions.get(m.clusterId) ?? 1) + 1;
        versions.set(m.clusterId, version);
        return {
          s: `cluster-${m.clusterId}`,
          v: version,
          i: decoded.id,
          t: decoded.event.type,
          d: decoded.event.data,
          m: { actor: `agent:${m.clusterId}`, causationId: decoded.reportId },
        };
      });
      rawBatches.push(JSON.stringify(batch));
    }
    // Timed: the INSERTs alone (the rows are ready, as they would be for any writer).
    let started = performance.now();
    for (const batch of rawBatches) {
      await raw.query(
        `INSERT INTO raw_status (stream_id, version, id, type, data, metadata, recorded_at)
         SELECT s, v, i, t, d, m, now() FROM jsonb_to_recordset($1::jsonb) AS x(s text, v int, i uuid, t text, d jsonb, m jsonb)`,
        [batch],
      );
    }
    const rawRate = rate(totalReports, performance.now() - started);
    console.log(`  raw INSERT: ${Math.round(rawRate)} rows/s`);

    // Fill the stream first, so the figure is the ingester's alone.
    await jsm.streams.add({ name: config.stream, subjects: config.subjects });
    const js = jetstream(nc);
    started = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    for (const m of messages) {
      const p = js.publish(m.subject, m.data, { msgID: m.msgId, headers: m.headers }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= publishWindow) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    console.log(`  published in ${Math.round(performance.now() - started)} ms`);

    const directory = new ReadModelClusterDirectory(hub.dataSource);
    ingester = new StatusIngester({
      nc,
      store: hub.eventStore,
      clusters: directory,
      ledger: directory,
      config,
      logger: silent,
    });
    await ingester.ensureStream();
    started = performance.now();
    ingester.start();
    let lastPrint = started;
    for (;;) {
      const done = ingester.stats.appended + ingester.stats.duplicates + ingester.stats.rejected;
      if (done >= totalReports) break;
      await new Promise((r) => setTimeout(r, 20));
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        console.log(`  ${done} ingested, ${Math.round(rate(done, lastPrint - started))} reports/s`);
      }
    }
    const ingestRate = rate(totalReports, performance.now() - started);
    await ingester.stop();
    const { stats } = ingester;
    ingester = undefined;
    console.log(`  ${JSON.stringify(stats)}`);
    if (stats.appended !== totalReports) throw new Error(`expected ${totalReports} reports appended`);
    const verified = await hub.eventStore.verify({ batchSize: 5_000 });
    if (!verified.ok) throw new Error(`verify failed after the bench: ${JSON.stringify(verified)}`);
    console.log(`ingest: ${Math.round(ingestRate)} reports/s, ${(ingestRate / rawRate).toFixed(2)} x raw INSERT`);
  } finally {
    await ingester?.stop();
    await jsm.streams.delete(config.stream).catch(() => undefined);
    await raw.end().catch(() => undefined);
    await hub.close();
    await db.drop();
    await nc.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
