// Append throughput of the event store against the plainest batched INSERT the same Postgres
// can do, measured in the same run: the ratio is what the store's guarantees (global
// append lock, version check, hash chain, append-only trigger, indexes) cost.
// Run: npm run bench:event-store   (the last line is the result)

import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase } from '@flotilla/testing';
import { createPostgresEventStore, type StreamWrite } from '@flotilla/event-store';

/** Events appended by each side. */
const totalEvents = Number(process.env.FLOTILLA_BENCH_EVENTS ?? 100_000);
/** Events per append call / per INSERT statement. */
const batchSize = 500;
/** Streams each batch is spread over (one appendMany writes all of them). */
const streamCount = 4;
const progressEvery = 20_000;

function eventData(n: number): Record<string, unknown> {
  // ~500 bytes of JSON, shaped like a sync status report.
  return {
    cluster: `cluster-${n % 97}`,
    application: `app-${n % 13}`,
    revision: `r${n.toString(16).padStart(40, '0')}`,
    bundleDigest: `sha256:${(n * 2654435761).toString(16).padStart(64, 'a')}`,
    resources: Array.from({ length: 3 }, (_, i) => ({
      kind: 'Deployment',
      name: `web-${i}`,
      status: 'Synced',
      health: 'Healthy',
    })),
    message: 'applied 3 resources; 0 pruned',
    n,
  };
}

function rate(events: number, ms: number): number {
  return events / (ms / 1_000);
}

async function main(): Promise<void> {
  const sample = JSON.stringify(eventData(12345)).length;
  console.log(
    `event-store bench: ${totalEvents} events of ~${sample} bytes, batches of ${batchSize} over ${streamCount} streams`,
  );
  const db = await createTestDatabase('es_bench');
  const raw = new Client({ connectionString: db.url });
  let store: Awaited<ReturnType<typeof createPostgresEventStore>> | undefined;
  try {
    await raw.connect();
    store = await createPostgresEventStore({ url: db.url, poolSize: 2 });
    await raw.query(`
      CREATE TABLE raw_events (
        position bigserial PRIMARY KEY, stream_id text NOT NULL, version integer NOT NULL, id uuid NOT NULL,
        type text NOT NULL, schema_version integer NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL, prev_hash text NOT NULL, hash text NOT NULL)`);
    const rawInsert = `
      INSERT INTO raw_events (stream_id, version, id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
      SELECT s, v, i, 'SyncSucceeded', 1, d, $5::jsonb, now(), $6, $6
      FROM unnest($1::text[], $2::int[], $3::uuid[], $4::jsonb[]) AS x(s, v, i, d)`;
    const metadata = { actor: 'system:bench', correlationId: 'bench' };
    const zeros = '0'.repeat(64);

    const rawVersions = new Array<number>(streamCount).fill(0);
    async function rawBatch(offset: number): Promise<void> {
      const streams: string[] = [];
      const versions: number[] = [];
      const ids: string[] = [];
      const data: string[] = [];
      for (let i = 0; i < batchSize; i++) {
        const s = i % streamCount;
        streams.push(`stream-${s}`);
        versions.push(++rawVersions[s]!);
        ids.push(randomUUID());
        data.push(JSON.stringify(eventData(offset + i)));
      }
      await raw.query(rawInsert, [streams, versions, ids, data, JSON.stringify(metadata), zeros]);
    }

    const storeVersions = new Array<number>(streamCount).fill(0);
    async function storeBatch(offset: number): Promise<void> {
      const writes: StreamWrite[] = [];
      for (let s = 0; s < streamCount; s++) {
        const events = [];
        for (let i = s; i < batchSize; i += streamCount)
          events.push({ type: 'SyncSucceeded', data: eventData(offset + i) });
        writes.push({ streamId: `stream-${s}`, expectedVersion: storeVersions[s]!, events });
        storeVersions[s]! += events.length;
      }
      await store!.appendMany(writes, { metadata });
    }

    // Batches alternate between the two sides, so that load from other processes, checkpoints
    // and autovacuum fall on both alike (this machine is shared).
    await rawBatch(-batchSize); // warm-up, not counted
    await storeBatch(-batchSize);
    const elapsed = { raw: 0, store: 0 };
    for (let done = 0; done < totalEvents; done += batchSize) {
      let started = performance.now();
      await rawBatch(done);
      elapsed.raw += performance.now() - started;
      started = performance.now();
      await storeBatch(done);
      elapsed.store += performance.now() - started;
      const now = done + batchSize;
      if (now % progressEvery === 0) {
        console.log(
          `  ${now} events each: raw INSERT ${Math.round(rate(now, elapsed.raw))} events/s, event-store ${Math.round(rate(now, elapsed.store))} events/s`,
        );
      }
    }
    const rawRate = rate(totalEvents, elapsed.raw);
    const storeRate = rate(totalEvents, elapsed.store);

    const verifyStarted = performance.now();
    const verified = await store.verify({ batchSize: 5_000 });
    const verifyMs = performance.now() - verifyStarted;
    if (!verified.ok) throw new Error(`verify failed after the bench: ${JSON.stringify(verified)}`);
    console.log(
      `verify: ${verified.checked} events in ${Math.round(verifyMs)} ms (${Math.round(rate(verified.checked, verifyMs))} events/s)`,
    );
    console.log(
      `event-store append: ${Math.round(storeRate)} events/s, ${(storeRate / rawRate).toFixed(2)} x raw INSERT`,
    );
  } finally {
    await store?.close();
    await raw.end().catch(() => undefined);
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
