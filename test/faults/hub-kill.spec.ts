import { eventually, startFleet, type Fleet } from '../e2e/registration-harness';
import { driftReport, expectRecovered, startTestReporter, type TestReporter } from './fault-harness';

// Issue 11, finding 1: the hub is killed (SIGKILL) with status reports in flight, then started
// again. Reports it had taken but not acknowledged come back only after the stream's ack wait,
// after the agents' later reports: the log must still hold each cluster's reports once each, in
// the order the agent sent them, and the views must equal a rebuild. Real processes: the hub,
// operator-mode NATS and Postgres; each cluster registers through a real agent process, then
// reports through the agent's own outbox and reporter (run here, so the test knows what was sent).
jest.setTimeout(420_000);

const clusters = 4;
const reportsPerCluster = 150;
const resources = 10;
const total = clusters * reportsPerCluster;
const statusTypes = ['DriftDetected', 'DriftResolved'];

describe('the hub killed with status reports in flight', () => {
  let fleet: Fleet;
  const reporting: TestReporter[] = [];

  const statusCount = async (): Promise<number> => {
    const [row] = (await fleet.store.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = ANY($1)`, [
      statusTypes,
    ])) as Array<{ n: number }>;
    return row!.n;
  };
  const driftTables = async () => ({
    now: await fleet.store.dataSource.query(
      `SELECT cluster_id, application, resource_key, reason, fields, mode, episode_id FROM hub_drift ORDER BY cluster_id, resource_key`,
    ),
  });

  beforeAll(async () => {
    fleet = await startFleet();
    for (let c = 0; c < clusters; c++) reporting.push(await startTestReporter(fleet, `c${c}`));
  }, 240_000);
  afterAll(async () => {
    for (const r of reporting) await r.close();
    await fleet?.close();
  }, 120_000);

  it('records every report once, in the order each agent sent them, and the views equal a rebuild', async () => {
    for (let i = 0; i < reportsPerCluster; i++)
      for (const r of reporting) r.reporter.report(driftReport(i, resources), undefined);
    await Promise.all(reporting.map((r) => r.reporter.settled()));

    // Kill it mid-ingest: some recorded, the consumer holding more than it acknowledged.
    await eventually(async () => ((await statusCount()) >= total / 5 ? true : undefined), 120_000, 'ingest to start');
    fleet.hub.proc.kill('SIGKILL');
    await fleet.hub.exited;
    const atKill = await statusCount();
    expect(atKill).toBeLessThan(total);

    // Reports reach the stream through the hub's relay, so what the outboxes still hold goes out
    // once a hub is back: ahead of the redelivery of what the dead hub held unacknowledged.
    await fleet.startHub();
    await Promise.all(reporting.map((r) => r.outbox.flush({ timeoutMs: 60_000 })));
    await eventually(async () => ((await statusCount()) >= total ? true : undefined), 180_000, 'every report recorded');
    // Past another ack wait: any redelivery still due has come and must have added nothing.
    await new Promise((r) => setTimeout(r, 35_000));
    expect(await statusCount()).toBe(total);

    for (const r of reporting) {
      const recorded = (await fleet.store.readStream(`cluster-${r.id}`))
        .filter((e) => statusTypes.includes(e.type))
        .map((e) => e.metadata.causationId ?? e.id);
      // 0 lost, 0 duplicated, and in the order sent.
      expect(recorded).toEqual(r.sent);
    }

    // Converged: the drift view says what each agent said last about each resource, within 60 s
    // of the last report being recorded.
    const head = await fleet.store.headPosition();
    await eventually(
      async () => {
        const [row] = (await fleet.store.dataSource.query(
          `SELECT position FROM projection_checkpoints WHERE name = 'hub-drift'`,
        )) as Array<{ position: string }>;
        return row && Number(row.position) >= head ? true : undefined;
      },
      60_000,
      'the drift view to catch up',
    );
    const live = await driftTables();
    const lastRound = Math.floor((reportsPerCluster - 1) / resources);
    const drifted = lastRound % 2 === 0 ? resources : 0;
    expect(live.now).toHaveLength(clusters * drifted);
    for (const row of live.now as Array<{ fields: Array<{ live: string }> }>)
      expect(row.fields[0]!.live).toMatch(new RegExp(`^tampered-${lastRound}\\d$`));

    // What every fault test shows (fault-harness.ts): each cluster's reports accounted for in
    // the order its outbox numbered them, `flotilla audit verify` ok, and every read model
    // (clusters, application status, drift, ...) equal to a rebuild from the log.
    await expectRecovered(fleet, {
      label: 'hub kill -9 with reports in flight',
      clusters: reporting,
      settleMs: 120_000,
    });
  });
});
