import { randomUUID } from 'node:crypto';
import { toBinary } from '@bufbuild/protobuf';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { Headers, Health, statusSubject, StatusReportSchema, type StatusReport } from '@flotilla/contracts';
import { ProjectionRunner, type EventStore, type RecordedEvent } from '@flotilla/event-store';
import { connectTestNats, createTestDatabase, uniqueName, type TestDatabase } from '@flotilla/testing';
import { openHubDatabase, type HubDatabase } from '../database/hub-data-source';
import { clustersProjection } from '../projections/clusters.projection';
import { ReadModelClusterDirectory } from './cluster-directory';
import { statusEventId } from './report-identity';
import { StatusIngester, STATUS_REJECTIONS_STREAM } from './status-ingester';
import type { StatusConfig } from './status.config';
import { clusterRegistered, reports } from './testing/status-reports';

// Real Postgres and the shared NATS: each test has its own database, stream, subjects and consumer.
jest.setTimeout(60_000);

let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let database: TestDatabase;
let hub: HubDatabase;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  nc = await connectTestNats();
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  database = await createTestDatabase('status_ingest');
  hub = await openHubDatabase({ url: database.url, poolSize: 4, connectTimeoutMs: 10_000 });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await hub?.close();
  await database?.drop();
  await nc?.close();
});

interface Setup {
  clusterId: string;
  other: string;
  config: StatusConfig;
  ingester: StatusIngester;
  publish(
    report: StatusReport | Uint8Array,
    options?: { clusterId?: string; msgId?: string; kind?: string; place?: { epoch: string; seq: number } },
  ): Promise<void>;
}

/** Two registered-or-not clusters with their own subjects, a stream and a consumer for this test only. */
async function setup(options: { store?: EventStore; register?: boolean; gapWaitMs?: number } = {}): Promise<Setup> {
  const clusterId = uniqueName('c');
  const other = uniqueName('c');
  const config: StatusConfig = {
    stream: uniqueName('STATUS'),
    subjects: [`flotilla.v1.agent.${clusterId}.status.>`, `flotilla.v1.agent.${other}.status.>`],
    consumer: uniqueName('hub'),
  };
  if (options.register !== false) {
    await hub.eventStore.append(`cluster-${clusterId}`, [clusterRegistered(clusterId)], {
      expectedVersion: 0,
      metadata: { actor: 'test' },
    });
  }
  const store = options.store ?? hub.eventStore;
  const directory = new ReadModelClusterDirectory(hub.dataSource);
  const ingester = new StatusIngester({
    nc,
    store,
    clusters: directory,
    ledger: directory,
    config,
    logger: silent,
    nakDelayMs: 100,
    restartMs: 100,
    holdDelayMs: 100,
    ...(options.gapWaitMs !== undefined ? { gapWaitMs: options.gapWaitMs } : {}),
  });
  await ingester.ensureStream();
  // Idempotent: a second replica (or a restart) does the same without error.
  await ingester.ensureStream();
  ingester.start();
  cleanups.push(() => jsm.streams.delete(config.stream).catch(() => undefined));
  cleanups.push(() => ingester.stop());
  return {
    clusterId,
    other,
    config,
    ingester,
    async publish(report, o = {}) {
      const bytes = report instanceof Uint8Array ? report : toBinary(StatusReportSchema, report);
      const id = o.msgId ?? (report instanceof Uint8Array ? uniqueName('raw') : report.meta!.id);
      const h = natsHeaders();
      h.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      if (o.place) {
        h.set(Headers.outboxEpoch, o.place.epoch);
        h.set(Headers.outboxSequence, String(o.place.seq));
      }
      await js.publish(statusSubject(o.clusterId ?? clusterId, o.kind ?? 'test'), bytes, { msgID: id, headers: h });
    },
  };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function statusEvents(clusterId: string, count: number): Promise<RecordedEvent[]> {
  return eventually(`${count} status events on cluster-${clusterId}`, async () => {
    const events = (await hub.eventStore.readStream(`cluster-${clusterId}`)).filter(
      (e) => e.type !== 'ClusterRegistered',
    );
    return events.length >= count ? events : undefined;
  });
}

async function rejections(subjectPart: string, count: number): Promise<RecordedEvent[]> {
  return eventually(`${count} rejections on ${subjectPart}`, async () => {
    const events = (await hub.eventStore.readStream(STATUS_REJECTIONS_STREAM)).filter((e) =>
      String((e.data as { subject: string }).subject).includes(subjectPart),
    );
    return events.length >= count ? events : undefined;
  });
}

async function pendingAcks(config: StatusConfig): Promise<number> {
  const info = await jsm.consumers.info(config.stream, config.consumer);
  return info.num_ack_pending + info.num_pending;
}

describe('status ingestion', () => {
  it('appends reports as the contract events, in order, with an event id scoped to the cluster, the report id as causation and the agent as actor', async () => {
    const s = await setup();
    const assignment = { revision: 3, commit: 'abc123', bundle: 'sha256:1111' };
    const sent = [
      reports.syncStarted(s.clusterId, 'web', assignment),
      reports.syncSucceeded(s.clusterId, 'web', assignment),
      reports.healthChanged(s.clusterId, 'web', Health.HEALTHY),
      reports.driftDetected(s.clusterId, 'web', 'settings'),
    ];
    for (const r of sent) await s.publish(r);

    const events = await statusEvents(s.clusterId, 4);
    expect(events.map((e) => e.type)).toEqual(['SyncStarted', 'SyncSucceeded', 'HealthChanged', 'DriftDetected']);
    expect(events.map((e) => e.id)).toEqual(sent.map((r) => statusEventId(s.clusterId, r.meta!.id)));
    expect(events.map((e) => e.metadata.causationId)).toEqual(sent.map((r) => r.meta!.id));
    expect(events.every((e) => e.metadata.actor === `agent:${s.clusterId}`)).toBe(true);
    expect(events[0]!.metadata.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(events[0]!.data).toMatchObject({
      clusterId: s.clusterId,
      application: 'web',
      revision: 3,
      commit: 'abc123',
      bundleDigest: 'sha256:1111',
    });
    expect(events[1]!.data).toMatchObject({
      resources: [
        { ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'settings' }, action: 'created' },
      ],
    });
    expect(events[3]!.data).toMatchObject({
      resource: { kind: 'ConfigMap', name: 'settings' },
      reason: 'modified',
      mode: 'detect',
      fields: [{ path: '/data/level', desired: 'safe', live: 'tampered' }],
    });
    await eventually('every report acknowledged', async () => ((await pendingAcks(s.config)) === 0 ? true : undefined));
  });

  it('appends nothing for a redelivered report (same message id), and acknowledges it', async () => {
    const s = await setup();
    const first = reports.healthChanged(s.clusterId, 'web', Health.PROGRESSING);
    await s.publish(first);
    await statusEvents(s.clusterId, 1);
    // The stream's own deduplication is bypassed (another Nats-Msg-Id): the hub must still see it is the same report.
    await s.publish(first, { msgId: uniqueName('again') });
    await s.publish(reports.healthChanged(s.clusterId, 'web', Health.HEALTHY));

    const events = await statusEvents(s.clusterId, 2);
    await eventually('every report acknowledged', async () => ((await pendingAcks(s.config)) === 0 ? true : undefined));
    expect(events.map((e) => (e.data as { status: string }).status)).toEqual(['progressing', 'healthy']);
    expect(s.ingester.stats.duplicates).toBe(1);
  });

  it('records a cluster’s reports in the order its agent sent them: one that comes ahead of its predecessor waits for it', async () => {
    const s = await setup({ gapWaitMs: 60_000 });
    const epoch = randomUUID();
    const first = reports.healthChanged(s.clusterId, 'web', Health.PROGRESSING);
    const second = reports.healthChanged(s.clusterId, 'web', Health.HEALTHY);
    const third = reports.healthChanged(s.clusterId, 'web', Health.DEGRADED);
    await s.publish(first, { place: { epoch, seq: 1 } });
    await statusEvents(s.clusterId, 1);
    // The second is held by a consumer that died: the third arrives first.
    await s.publish(third, { place: { epoch, seq: 3 } });
    await eventually('the third to be held', async () => (s.ingester.stats.held > 0 ? true : undefined));
    await s.publish(second, { place: { epoch, seq: 2 } });
    const events = await statusEvents(s.clusterId, 3);
    expect(events.map((e) => (e.data as { status: string }).status)).toEqual(['progressing', 'healthy', 'degraded']);
    expect(events.map((e) => e.metadata.report)).toEqual([1, 2, 3].map((seq) => ({ epoch, seq })));
  });

  it('accepts a gap once its wait is over, and records a straggler as late', async () => {
    const s = await setup({ gapWaitMs: 500 });
    const epoch = randomUUID();
    await s.publish(reports.healthChanged(s.clusterId, 'web', Health.PROGRESSING), { place: { epoch, seq: 1 } });
    await statusEvents(s.clusterId, 1);
    await s.publish(reports.healthChanged(s.clusterId, 'web', Health.HEALTHY), { place: { epoch, seq: 3 } });
    await statusEvents(s.clusterId, 2);
    await s.publish(reports.healthChanged(s.clusterId, 'web', Health.DEGRADED), { place: { epoch, seq: 2 } });
    const events = await statusEvents(s.clusterId, 3);
    expect(events.map((e) => e.metadata.report)).toEqual([
      { epoch, seq: 1 },
      { epoch, seq: 3 },
      { epoch, seq: 2, late: true },
    ]);
  });

  it('records an undecodable report as StatusRejected (no body), terminates it, and goes on with the next', async () => {
    const s = await setup();
    await s.publish(new TextEncoder().encode('{"secret":"hunter2"} this is not protobuf'));
    // A body naming another cluster than its subject's is forged.
    await s.publish(reports.healthChanged(s.other, 'web', Health.HEALTHY), { clusterId: s.clusterId });
    // An unregistered cluster may not report at all.
    const stranger = reports.healthChanged(s.other, 'web', Health.HEALTHY);
    await s.publish(stranger, { clusterId: s.other });
    const good = reports.healthChanged(s.clusterId, 'web', Health.DEGRADED);
    await s.publish(good);

    const events = await statusEvents(s.clusterId, 1);
    expect(events.map((e) => e.metadata.causationId)).toEqual([good.meta!.id]);
    const mine = await rejections(s.clusterId, 2);
    const theirs = await rejections(s.other, 1);
    expect(mine.map((e) => e.type)).toEqual(['StatusRejected', 'StatusRejected']);
    expect(mine[0]!.data).toMatchObject({ subject: statusSubject(s.clusterId, 'test'), clusterId: s.clusterId });
    expect((mine[0]!.data as { reason: string }).reason).toMatch(/undecodable/);
    expect(JSON.stringify(mine[0]!.data)).not.toContain('hunter2');
    expect((mine[1]!.data as { reason: string }).reason).toMatch(/names cluster/);
    expect(theirs[0]!.data).toMatchObject({ messageId: stranger.meta!.id, clusterId: s.other });
    expect((theirs[0]!.data as { reason: string }).reason).toMatch(/not registered/);
    expect(await hub.eventStore.streamVersion(`cluster-${s.other}`)).toBe(0);
    await eventually('nothing left to deliver', async () => ((await pendingAcks(s.config)) === 0 ? true : undefined));
  });

  it('rejects the reports of a deregistered cluster', async () => {
    const s = await setup();
    await hub.eventStore.append(
      `cluster-${s.clusterId}`,
      [{ type: 'ClusterDeregistered', data: { clusterId: s.clusterId } }],
      {
        expectedVersion: 'any',
        metadata: { actor: 'test' },
      },
    );
    await new ProjectionRunner(hub.eventStore, clustersProjection).catchUp();
    await s.publish(reports.healthChanged(s.clusterId, 'web', Health.HEALTHY));
    const [rejected] = await rejections(s.clusterId, 1);
    expect((rejected!.data as { reason: string }).reason).toMatch(/deregistered/);
  });

  it('acknowledges only after the append committed: a failing database gets the report redelivered until it is recorded once', async () => {
    let failuresLeft = 2;
    let attempts = 0;
    const flaky: EventStore = new Proxy(hub.eventStore, {
      get(target, property, receiver) {
        if (property === 'append' || property === 'appendMany') {
          return async (...args: unknown[]) => {
            attempts += 1;
            if (failuresLeft > 0) {
              failuresLeft -= 1;
              throw new Error('Connection terminated unexpectedly');
            }
            return (target[property] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const s = await setup({ store: flaky });
    const report = reports.healthChanged(s.clusterId, 'web', Health.HEALTHY);
    await s.publish(report);

    const events = await statusEvents(s.clusterId, 1);
    expect(events.map((e) => e.metadata.causationId)).toEqual([report.meta!.id]);
    expect(attempts).toBe(3);
    expect(s.ingester.stats.retried).toBe(2);
    await eventually('the report acknowledged', async () => ((await pendingAcks(s.config)) === 0 ? true : undefined));
    // Still exactly one event after everything settled.
    expect(await statusEvents(s.clusterId, 1)).toHaveLength(1);
  });
});
