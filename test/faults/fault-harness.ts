import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as pg from 'pg';
import { DataSource } from 'typeorm';
import { jetstreamManager, jetstream, DeliverPolicy } from '@nats-io/jetstream';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { agentInboxPrefix, Headers } from '@flotilla/contracts';
import { createPostgresEventStore, type RecordedEvent } from '@flotilla/event-store';
import type { AgentStatusEvent } from '../../services/agent/src/reconcile/status-report.mapper';
import { StatusReporter } from '../../services/agent/src/reconcile/status-reporter';
import { Outbox, statusRelayTarget } from '../../services/agent/src/report';
import { ReadModelsService } from '../../services/hub/src/projections/read-models.service';
import { flotilla } from '../e2e/cli-process';
import { eventually, pendingOutboxEntries, type GitopsCluster } from '../e2e/gitops-harness';
import type { Fleet, RunningProcess } from '../e2e/registration-harness';

/**
 * What every kill -9 / partition test shows after recovery (issue 11, "Must show"), once here:
 * - reports sent vs recorded: each report an agent sent (every message of its cluster in
 *   FLOTILLA_STATUS, by Nats-Msg-Id) is in the log exactly once, with that causation id, in the
 *   order the agent sent them (its outbox epoch and sequence), and nothing else is recorded as
 *   the agent's;
 * - every cluster converged (connected, synced and healthy at the commit) within a stated bound;
 * - `audit verify` (GET /api/v1/audit/verify) ok;
 * - the read models equal a rebuild from the log (every projection of the hub replayed into
 *   fresh tables in a schema of their own, compared row for row with the live ones).
 */

/** What a test needs of a cluster to account for its reports: its id and the agent's state directory. */
export type ReportingCluster = Pick<GitopsCluster, 'id' | 'name' | 'stateDir'>;

export interface ReportAccounting {
  sent: number;
  recorded: number;
  lost: string[];
  duplicated: string[];
  unexpected: string[];
  /** Report ids in the agent's order (outbox epoch, then sequence). */
  sentOrder: string[];
  /** Report ids in log order. */
  recordedOrder: string[];
}

/** Every event of the log, in position order (paged). */
export async function allEvents(fleet: Fleet): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await fleet.store.readAll({ after: all.at(-1)?.position ?? 0, limit: 1000 });
    all.push(...page);
    if (page.length < 1000) return all;
  }
}

/**
 * A connection of the test's own to the fleet's NATS, retried: on a loaded machine the server may
 * drop a new client before its CONNECT (`write EPIPE`, `Authentication Timeout`).
 */
async function connectNats(fleet: Fleet): Promise<NatsConnection> {
  return eventually(() => fleet.nats.connect(), 30_000, `a connection to the fleet's NATS at ${fleet.nats.url}`);
}

/** Waits until the agent's outbox is empty and the hub's consumer has nothing pending or unacknowledged. */
export async function waitForReportsSettled(fleet: Fleet, cluster: ReportingCluster, timeoutMs: number): Promise<void> {
  await eventually(
    async () => ((await pendingOutboxEntries(cluster as GitopsCluster)).length === 0 ? true : undefined),
    timeoutMs,
    `the outbox of ${cluster.name} drained`,
  );
  const nc = await connectNats(fleet);
  try {
    const jsm = await jetstreamManager(nc);
    await eventually(
      async () => {
        const info = await jsm.consumers.info('FLOTILLA_STATUS', 'flotilla-hub-status');
        return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
      },
      timeoutMs,
      'the hub consumer caught up with FLOTILLA_STATUS (nothing pending or unacknowledged)',
    );
  } finally {
    await nc.close();
  }
}

interface SentReport {
  id: string;
  epoch: string;
  seq: number;
}

/** Every report of the cluster in FLOTILLA_STATUS, in stream order, with the place its outbox gave it. */
export async function sentReports(fleet: Fleet, cluster: ReportingCluster): Promise<SentReport[]> {
  const nc = await connectNats(fleet);
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get('FLOTILLA_STATUS', {
      // One subject as a string: nats-server 2.9 knows filter_subject only.
      filter_subjects: `flotilla.v1.agent.${cluster.id}.status.>`,
      deliver_policy: DeliverPolicy.All,
    });
    const reports: SentReport[] = [];
    for (;;) {
      const msg = await consumer.next({ expires: 5_000 });
      if (!msg) break;
      reports.push({
        id: msg.headers?.get('Nats-Msg-Id') || `(no id, seq ${msg.seq})`,
        epoch: msg.headers?.get(Headers.outboxEpoch) ?? '',
        seq: Number(msg.headers?.get(Headers.outboxSequence) || 0),
      });
      if (msg.info.pending === 0) break;
    }
    return reports;
  } finally {
    await nc.close();
  }
}

const registrationEvents = new Set([
  'RegistrationTokenUsed',
  'ClusterRegistered',
  'ClusterNameClaimed',
  'ClusterKeyClaimed',
]);

export async function accountReports(fleet: Fleet, cluster: ReportingCluster): Promise<ReportAccounting> {
  const sent = await sentReports(fleet, cluster);
  const events = await allEvents(fleet);
  // The agent's registration is recorded under its name too, but came over request/reply, not as a report.
  const recorded = events.filter((e) => e.metadata.actor === `agent:${cluster.id}` && !registrationEvents.has(e.type));
  // A report's event id is the hub's (UUIDv5 of cluster and report id); the report id the agent
  // sent as Nats-Msg-Id is kept as the event's causation id.
  const reportId = (e: RecordedEvent) => e.metadata.causationId ?? e.id;
  const counts = new Map<string, number>();
  for (const e of recorded) counts.set(reportId(e), (counts.get(reportId(e)) ?? 0) + 1);
  const sentSet = new Set(sent.map((r) => r.id));
  // The agent's order: its outbox numbers reports 1, 2, ... per epoch (a wiped state directory
  // starts a new epoch); epochs in the order they first reached the stream. The stream's own
  // order is not the agent's when a publish was retried.
  const epochRank = new Map<string, number>();
  for (const r of sent) if (!epochRank.has(r.epoch)) epochRank.set(r.epoch, epochRank.size);
  const sentOrder = [...sent]
    .sort((a, b) => epochRank.get(a.epoch)! - epochRank.get(b.epoch)! || a.seq - b.seq)
    .map((r) => r.id);
  return {
    sent: sent.length,
    recorded: recorded.length,
    lost: sent.filter((r) => !counts.has(r.id)).map((r) => r.id),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected: recorded.filter((e) => !sentSet.has(reportId(e))).map((e) => `${e.type} ${reportId(e)}`),
    sentOrder,
    recordedOrder: recorded.map(reportId),
  };
}

/** Settles, then asserts 0 lost, 0 duplicated, nothing unexpected and the agent's order, per cluster; returns a line per cluster. */
export async function expectReportsAccounted(
  fleet: Fleet,
  clusters: ReportingCluster[],
  settleMs: number,
): Promise<string[]> {
  const lines: string[] = [];
  for (const cluster of clusters) {
    await waitForReportsSettled(fleet, cluster, settleMs);
    const a = await accountReports(fleet, cluster);
    expect({ cluster: cluster.name, lost: a.lost, duplicated: a.duplicated, unexpected: a.unexpected }).toEqual({
      cluster: cluster.name,
      lost: [],
      duplicated: [],
      unexpected: [],
    });
    expect(a.recorded).toBe(a.sent);
    if (process.env.FLOTILLA_FAULTS_DEBUG) {
      const events = (await allEvents(fleet)).filter((e) => e.metadata.actor === `agent:${cluster.id}`);
      const sent = await sentReports(fleet, cluster);
      process.stderr.write(
        `sent (stream order): ${sent.map((r) => `${r.seq}`).join(' ')}\nrecorded: ${events
          .map(
            (e) =>
              `${e.position}:${JSON.stringify(e.metadata.report)}:${sent.findIndex((r) => r.id === e.metadata.causationId)}`,
          )
          .join(' ')}\n`,
      );
    }
    expect(a.recordedOrder).toEqual(a.sentOrder);
    lines.push(`${cluster.name}: ${a.sent} sent, ${a.recorded} recorded, 0 lost, 0 duplicated, in the order sent`);
  }
  return lines;
}

interface StatusView {
  clusters: Array<{ clusterId: string; state: string; sync: string; health: string; appliedCommit: string | null }>;
}

/**
 * Every cluster connected, synced and healthy at `commit` for `application`, within `boundMs` of
 * `since` (when the fault ended). Returns how long it took.
 */
export async function expectConverged(
  fleet: Fleet,
  options: { application: string; commit: string; clusterIds: string[]; since: number; boundMs: number },
): Promise<number> {
  const { application, commit, clusterIds, since, boundMs } = options;
  let lastSeen = '';
  await eventually(
    async () => {
      const { status, body } = await fleet.api('GET', `/api/v1/applications/${application}/status`);
      if (status !== 200) return undefined;
      const rows = (body as StatusView).clusters;
      lastSeen = rows
        .map((r) => `${r.clusterId}: ${r.state}, ${r.sync}, ${r.health}, applied ${r.appliedCommit?.slice(0, 8)}`)
        .join('; ');
      return clusterIds.every((id) => {
        const c = rows.find((r) => r.clusterId === id);
        return c?.state === 'connected' && c.sync === 'synced' && c.health === 'healthy' && c.appliedCommit === commit;
      })
        ? true
        : undefined;
    },
    Math.max(0, since + boundMs - Date.now()),
    `${application} connected, synced and healthy at ${commit} on ${clusterIds.length} cluster(s) within ${boundMs} ms of recovery`,
  ).catch((err: Error) => {
    // What the hub showed last says which of the four never came.
    throw new Error(`${err.message}; last seen: ${lastSeen || 'no status'}`);
  });
  const took = Date.now() - since;
  expect(took).toBeLessThan(boundMs);
  return took;
}

/** `flotilla audit verify` (the real CLI process): the hub walks the whole hash chain; exit 0 and ok. */
export async function expectAuditVerified(fleet: Fleet): Promise<{ checked: number; headPosition: number }> {
  const result = await flotilla(['audit', 'verify', '-o', 'json'], {
    FLOTILLA_HUB_URL: fleet.hubUrl,
    FLOTILLA_TOKEN: fleet.adminToken,
  });
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const body = JSON.parse(result.stdout) as { ok: boolean; checked: number; headPosition: number };
  expect(body).toMatchObject({ ok: true });
  return body;
}

/**
 * Columns the live tables hold that do not come from the log: LAST SEEN is written by the
 * liveness service from heartbeats (kept in memory, flushed now and then), never by a projection.
 */
const notFromTheLog: Record<string, string[]> = { hub_clusters: ['last_seen_at'] };

/**
 * Replays the whole log through every projection of the hub (its ReadModelsService, as
 * `npm run hub -- rebuild-read-models` does) into empty copies of the read-model tables in a
 * schema of their own (the connection's search_path puts it first; the log is read from the
 * live one), then compares every table row for row with the live read models at the same log
 * position. The hub keeps running: both sides are taken at one head, asked again if it moved.
 */
export async function expectReadModelsEqualRebuild(fleet: Fleet, timeoutMs = 60_000): Promise<Record<string, number>> {
  const schema = `rebuild_${randomBytes(6).toString('hex')}`;
  const live = fleet.store.dataSource;
  const tables = (
    (await live.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name LIKE 'hub\\_%' ORDER BY 1`,
    )) as Array<{ table_name: string }>
  ).map((r) => r.table_name);
  expect(tables).toEqual(
    expect.arrayContaining(['hub_clusters', 'hub_application_status', 'hub_application_drift', 'hub_drift']),
  );
  await live.query(`CREATE SCHEMA ${schema}`);
  for (const table of [...tables, 'projection_checkpoints'])
    await live.query(`CREATE TABLE ${schema}.${table} (LIKE public.${table} INCLUDING ALL)`);
  const fresh = new DataSource({
    type: 'postgres',
    url: fleet.database.url,
    driver: pg,
    extra: { max: 2, options: `-c search_path=${schema},public` },
  });
  await fresh.initialize();
  try {
    const freshStore = await createPostgresEventStore({ dataSource: fresh, migrate: false });
    const readModels = new ReadModelsService(freshStore);
    const names = readModels.runners.map((r) => r.projection.name);
    await readModels.rebuild();
    const snapshot = async (from: string) => {
      const out: Record<string, string[]> = {};
      for (const table of tables) {
        const drop = (notFromTheLog[table] ?? []).map((c) => ` - '${c}'`).join('');
        const rows = (await live.query(`SELECT (to_jsonb(t)${drop})::text AS row FROM ${from}.${table} t`)) as Array<{
          row: string;
        }>;
        out[table] = rows.map((r) => r.row).sort();
      }
      return out;
    };
    const checkpoints = async (from: string) =>
      (
        (await live.query(`SELECT name, position FROM ${from}.projection_checkpoints WHERE name = ANY($1)`, [
          names,
        ])) as Array<{ name: string; position: string }>
      ).map((r) => Number(r.position));
    const { liveRows, rebuiltRows } = await eventually(
      async () => {
        const head = await fleet.store.headPosition();
        for (const runner of readModels.runners) await runner.catchUp();
        const [liveAt, freshAt] = [await checkpoints('public'), await checkpoints(schema)];
        if (liveAt.length < names.length || liveAt.some((p) => p !== head)) return undefined;
        if (freshAt.some((p) => p !== head)) return undefined;
        const both = { liveRows: await snapshot('public'), rebuiltRows: await snapshot(schema) };
        // Nothing appended meanwhile: both sides are the log up to `head`.
        return (await fleet.store.headPosition()) === head ? both : undefined;
      },
      timeoutMs,
      'the live read models and the rebuild at one log position',
    );
    for (const table of tables) expect({ table, rows: liveRows[table] }).toEqual({ table, rows: rebuiltRows[table] });
    return Object.fromEntries(tables.map((t) => [t, liveRows[t]!.length]));
  } finally {
    await fresh.destroy().catch(() => undefined);
    await live.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  }
}

/**
 * All of the above for a test's clusters after a fault, printed on one block so a CI log shows
 * what was checked: reports accounted, converged within the bound (when an application is
 * given), audit verify ok, read models equal a rebuild.
 */
export async function expectRecovered(
  fleet: Fleet,
  options: {
    label: string;
    clusters: ReportingCluster[];
    settleMs: number;
    converge?: { application: string; commit: string; since: number; boundMs: number };
  },
): Promise<void> {
  const lines: string[] = [];
  if (options.converge) {
    const took = await expectConverged(fleet, {
      ...options.converge,
      clusterIds: options.clusters.map((c) => c.id),
    });
    lines.push(
      `converged: ${options.clusters.length} cluster(s) connected, synced and healthy ${took} ms after recovery (bound ${options.converge.boundMs} ms)`,
    );
  }
  lines.push(...(await expectReportsAccounted(fleet, options.clusters, options.settleMs)));
  const audit = await expectAuditVerified(fleet);
  lines.push(`audit verify: ok, ${audit.checked} events up to position ${audit.headPosition}`);
  const rows = await expectReadModelsEqualRebuild(fleet);
  lines.push(
    `read models equal a rebuild: ${Object.entries(rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
  );
  process.stderr.write(`[faults] ${options.label}\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

/**
 * A cluster that reports through the agent's own outbox and reporter, run in the test so the
 * test knows what was sent: registered first by a real agent process (which is stopped, or
 * left running for liveness with `keepAgent`), then connected with the credentials it stored.
 */
export interface TestReporter extends ReportingCluster {
  nc: NatsConnection;
  outbox: Outbox;
  reporter: StatusReporter;
  /** Report ids in the order `reporter.report` was called. */
  sent: string[];
  agent: RunningProcess | undefined;
  close(): Promise<void>;
}

export async function startTestReporter(
  fleet: Fleet,
  name: string,
  options: { keepAgent?: boolean } = {},
): Promise<TestReporter> {
  const stateDir = path.join(fleet.dir, name);
  const credentialsFile = path.join(stateDir, 'credentials.json');
  const agent = fleet.startAgent({ name, token: await fleet.createToken(), credentialsFile });
  await agent.waitFor(/connected/, 90_000);
  if (!options.keepAgent) await agent.stop();
  const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as {
    clusterId: string;
    seed: string;
    userJwt: string;
  };
  // Retried like the agent's first connection: a loaded machine can time the dial out.
  const nc = await eventually(
    () =>
      connect({
        servers: fleet.nats.url,
        authenticator: jwtAuthenticator(credentials.userJwt, new TextEncoder().encode(credentials.seed)),
        inboxPrefix: agentInboxPrefix(credentials.clusterId),
        maxReconnectAttempts: -1,
      }),
    60_000,
    `the connection of ${name}'s reporter to NATS`,
  );
  // The agent's own layout: the outbox in the state directory beside the credentials.
  const outbox = await Outbox.open({ dir: path.join(stateDir, 'outbox') });
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
  return {
    id: credentials.clusterId,
    name,
    stateDir,
    nc,
    outbox,
    reporter,
    sent,
    agent: options.keepAgent ? agent : undefined,
    async close() {
      await outbox.close().catch(() => undefined);
      await nc.close().catch(() => undefined);
    },
  };
}

/** Report i of a test reporter: resource i % resources, detected on even rounds and resolved on odd ones. */
export function driftReport(i: number, resources: number): AgentStatusEvent {
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
