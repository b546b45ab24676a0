// How long the application status projection takes to catch up from position 0 on a large
// generated fleet log, against the drift projection on the same log (the baseline, measured
// in the same run). Each projection is emptied and replayed alone, twice; the better run counts.
// Run: npx node tools/run-ts.js services/hub/src/applications/status/testing/application-status.bench.ts
// FLOTILLA_BENCH_DATABASE_URL names a database to keep: the log is generated there when it is
// empty, reused otherwise.

import { ProjectionRunner, type Projection } from '@flotilla/event-store';
import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { openHubDatabase, type HubDatabase } from '../../../database/hub-data-source';
import { driftProjection } from '../../../drift/drift.projection';
import { generateFleetLog } from '../../../history/testing/fleet-log.generator';
import { applicationStatusProjection } from '../application-status.projection';

const totalEvents = Number(process.env.FLOTILLA_BENCH_EVENTS ?? 100_000);
const clusterCount = Number(process.env.FLOTILLA_BENCH_CLUSTERS ?? 1_000);
const runs = 2;

async function replay(hub: HubDatabase, projection: Projection): Promise<number> {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    await hub.dataSource.transaction(async (tx) => {
      await projection.reset(tx);
      await tx.query(`DELETE FROM projection_checkpoints WHERE name = $1`, [projection.name]);
    });
    await hub.dataSource.query('VACUUM ANALYZE');
    const runner = new ProjectionRunner(hub.eventStore, projection);
    const began = performance.now();
    await runner.catchUp();
    best = Math.min(best, performance.now() - began);
  }
  return best;
}

async function main(): Promise<void> {
  const given = process.env.FLOTILLA_BENCH_DATABASE_URL;
  let db: TestDatabase | undefined;
  const url = given ?? (db = await createTestDatabase('app_status_bench')).url;
  const hub = await openHubDatabase({ url, poolSize: 2, connectTimeoutMs: 10_000 });
  try {
    if ((await hub.eventStore.headPosition()) === 0) {
      const began = performance.now();
      const log = await generateFleetLog(hub.dataSource, { clusters: clusterCount, events: totalEvents });
      console.log(
        `generated ${log.events} events across ${clusterCount} clusters in ${((performance.now() - began) / 1000).toFixed(1)} s`,
      );
    }
    const drift = await replay(hub, driftProjection);
    console.log(`hub-drift catch-up: ${(drift / 1000).toFixed(2)} s`);
    const status = await replay(hub, applicationStatusProjection);
    console.log(`hub-application-status catch-up: ${(status / 1000).toFixed(2)} s`);
    console.log(`application status / drift: ${(status / drift).toFixed(2)}x`);
  } finally {
    await hub.close();
    await db?.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
