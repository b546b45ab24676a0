import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { agentInboxPrefix } from '@flotilla/contracts';
import { ProjectionRunner } from '@flotilla/event-store';
import type { AgentStatusEvent } from '../../services/agent/src/reconcile/status-report.mapper';
import { StatusReporter } from '../../services/agent/src/reconcile/status-reporter';
import { Outbox, statusRelayTarget } from '../../services/agent/src/report';
import { driftProjection } from '../../services/hub/src/drift/drift.projection';
import { eventually, startFleet, type Fleet } from '../e2e/registration-harness';

// Issue 11, finding 1: the hub is killed (SIGKILL) with status reports in flight, then started
// again. Reports it had taken but not acknowledged come back only after the stream's ack wait,
// after the agents' later reports: the log must still hold each cluster's reports once each, in
// the order the agent sent them, and the views must equal a rebuild. Real processes: the hub,
// operator-mode NATS and Postgres; each cluster registers through a real agent process, then
// reports through the agent's own outbox and reporter (run here, so the test knows what was sent).
jest.setTimeout(300_000);

const clusters = 4;
const reportsPerCluster = 150;
const resources = 10;
const total = clusters * reportsPerCluster;
const statusTypes = ['DriftDetected', 'DriftResolved'];

interface Reporting {
  clusterId: string;
  nc: NatsConnection;
  outbox: Outbox;
  reporter: StatusReporter;
  sent: string[];
}

/** Report i of a cluster: resource i % 10, detected on even rounds and resolved on odd ones. */
function report(i: number): AgentStatusEvent {
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: `r${i % resources}` };
  const at = new Date().toISOString();
  return Math.floor(i / resources) % 2 === 0
    ? {
        type: 'DriftDetected',
        application: 'web',
        resource: ref,
        reason: 'modified',
        fields: [{ path: '/data/level', desired: 'safe', live: `tampered-${i}` }],
        at,
      }
    : { type: 'DriftResolved', application: 'web', resource: ref, at };
}

describe('the hub killed with status reports in flight', () => {
  let fleet: Fleet;
  const reporting: Reporting[] = [];

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
    episodes: await fleet.store.dataSource.query(
      `SELECT episode_id, cluster_id, resource_key, reason, detections, end_reason FROM hub_drift_episodes ORDER BY episode_id`,
    ),
  });

  beforeAll(async () => {
    fleet = await startFleet();
    for (let c = 0; c < clusters; c++) {
      const credentialsFile = path.join(fleet.dir, `c${c}`, 'credentials.json');
      const agent = fleet.startAgent({ name: `c${c}`, token: await fleet.createToken(), credentialsFile });
      await agent.waitFor(/connected/);
      await agent.stop();
      const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as {
        clusterId: string;
        seed: string;
        userJwt: string;
      };
      const nc = await connect({
        servers: fleet.nats.url,
        authenticator: jwtAuthenticator(credentials.userJwt, new TextEncoder().encode(credentials.seed)),
        inboxPrefix: agentInboxPrefix(credentials.clusterId),
        maxReconnectAttempts: -1,
      });
      const outbox = await Outbox.open({ dir: path.join(fleet.dir, `c${c}`, 'outbox') });
      outbox.start(nc, { jetStream: statusRelayTarget(nc) });
      const sent: string[] = [];
      const reporter = new StatusReporter({
        clusterId: credentials.clusterId,
        outbox,
        onError: (err) => {
          throw err;
        },
        newId: () => {
          const id = randomUUID();
          sent.push(id);
          return id;
        },
      });
      reporting.push({ clusterId: credentials.clusterId, nc, outbox, reporter, sent });
    }
  }, 240_000);
  afterAll(async () => {
    for (const r of reporting) {
      await r.outbox.close().catch(() => undefined);
      await r.nc.close().catch(() => undefined);
    }
    await fleet?.close();
  }, 120_000);

  it('records every report once, in the order each agent sent them, and the views equal a rebuild', async () => {
    for (let i = 0; i < reportsPerCluster; i++) for (const r of reporting) r.reporter.report(report(i), undefined);
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
      const recorded = (await fleet.store.readStream(`cluster-${r.clusterId}`))
        .filter((e) => statusTypes.includes(e.type))
        .map((e) => e.metadata.causationId ?? e.id);
      // 0 lost, 0 duplicated, and in the order sent.
      expect(recorded).toEqual(r.sent);
    }

    // The drift view says what each agent said last about each resource.
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

    // ...and equals a rebuild from the log.
    await fleet.hub.stop();
    await new ProjectionRunner(fleet.store, driftProjection).rebuild();
    expect(await driftTables()).toEqual(live);
    expect((await fleet.store.verify()).ok).toBe(true);
  });
});
