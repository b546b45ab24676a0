import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/transport-node';
import { encodeMessage, HeartbeatSchema, heartbeatSubject, messageMeta } from '@flotilla/contracts';
import { PostgresEventStore, type NewEvent, type ReadStreamOptions, type RecordedEvent } from '@flotilla/event-store';
import { connectTestNats, createTestDatabase, uniqueName, type TestDatabase } from '@flotilla/testing';
import { openHubDatabase, type HubDatabase } from '../../database/hub-data-source';
import type { NatsConfig } from '../nats.config';
import { livenessEventId } from './liveness-tracker';
import { LivenessService } from './liveness.service';

// Two hub replicas' liveness services against the real Postgres and NATS, on a cluster whose
// stream is long and keeps growing with status traffic: each transition is recorded once,
// promptly, and never by reading the cluster's stream.
jest.setTimeout(120_000);

const heartbeatIntervalMs = 250;
const missedHeartbeats = 4;
const windowMs = heartbeatIntervalMs * missedHeartbeats;
const statusEventsBefore = 20_000;

/** The real store, counting which streams are read whole. */
class CountingEventStore extends PostgresEventStore {
  readonly streamReads: string[] = [];
  override readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.streamReads.push(streamId);
    return super.readStream(streamId, options);
  }
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('LivenessService (two replicas, real Postgres and NATS)', () => {
  let database: TestDatabase;
  let hub: HubDatabase;
  let nc: NatsConnection;
  const stores: CountingEventStore[] = [];
  const replicas: LivenessService[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('liveness');
    hub = await openHubDatabase({ url: database.url, poolSize: 6, connectTimeoutMs: 10_000 });
    nc = await connectTestNats();
  });

  afterEach(async () => {
    for (const timer of timers.splice(0)) clearInterval(timer);
    await Promise.all(replicas.splice(0).map((r) => r.onModuleDestroy()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await nc?.close();
    await hub?.close();
    await database?.drop();
  });

  const config = { heartbeatIntervalMs, missedHeartbeats } as NatsConfig;
  const startReplicas = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const store = new CountingEventStore(hub.dataSource);
      const replica = new LivenessService(store, nc, config);
      stores.push(store);
      replicas.push(replica);
      await replica.onApplicationBootstrap();
    }
  };
  const beat = (clusterId: string) => {
    const message = create(HeartbeatSchema, {
      meta: messageMeta({ id: randomUUID(), clusterId, sentAt: new Date() }),
      agentVersion: 'test',
      sequence: 1n,
    });
    nc.publish(heartbeatSubject(clusterId), encodeMessage(HeartbeatSchema, message));
  };
  /** Starts an agent's heartbeats; returns how to stop them. */
  const heartbeats = (clusterId: string) => {
    beat(clusterId);
    const timer = setInterval(() => beat(clusterId), heartbeatIntervalMs);
    timers.push(timer);
    return () => clearInterval(timer);
  };
  const append = (clusterId: string, events: NewEvent[]) =>
    hub.eventStore.append(`cluster-${clusterId}`, events, { expectedVersion: 'any', metadata: { actor: 'test' } });
  const registered = (clusterId: string): NewEvent => ({
    type: 'ClusterRegistered',
    data: { clusterId, name: clusterId, labels: {}, registeredAt: new Date().toISOString() },
  });
  const health = (clusterId: string, i: number): NewEvent => ({
    type: 'HealthChanged',
    data: {
      clusterId,
      application: `app-${i % 7}`,
      status: i % 2 ? 'healthy' : 'progressing',
      message: '',
      at: new Date().toISOString(),
    },
  });
  const transitions = async (clusterId: string) =>
    (
      await hub.eventStore.readAll({
        types: ['ClusterConnected', 'ClusterDisconnected'],
        streamPrefix: `cluster-${clusterId}`,
        limit: 100,
      })
    ).filter((e) => e.streamId === `cluster-${clusterId}`);
  const transitionCount = (clusterId: string, n: number) => async () =>
    (await transitions(clusterId)).length >= n ? true : undefined;

  it('records each transition of a cluster with a long, busy stream once, without reading the stream', async () => {
    const clusterId = uniqueName('long');
    await append(clusterId, [registered(clusterId)]);
    for (let from = 0; from < statusEventsBefore; from += 2_000) {
      await append(
        clusterId,
        Array.from({ length: 2_000 }, (_, i) => health(clusterId, from + i)),
      );
    }
    await startReplicas(2);

    // Status traffic on the same stream all along: it moves the stream's version constantly.
    let statusAppends = 0;
    let traffic = true;
    const busy = (async () => {
      while (traffic) {
        await append(clusterId, [health(clusterId, statusAppends++)]);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    try {
      let stop = heartbeats(clusterId);
      await eventually(transitionCount(clusterId, 1), 15_000, 'ClusterConnected');
      // Several windows of heartbeats heard by both replicas: still one.
      await new Promise((r) => setTimeout(r, windowMs * 2));
      expect((await transitions(clusterId)).map((e) => e.type)).toEqual(['ClusterConnected']);

      stop();
      await eventually(transitionCount(clusterId, 2), windowMs + 15_000, 'ClusterDisconnected');
      stop = heartbeats(clusterId);
      await eventually(transitionCount(clusterId, 3), 15_000, 'ClusterConnected again');
      await new Promise((r) => setTimeout(r, windowMs * 2));
      stop();
    } finally {
      traffic = false;
      await busy;
    }

    const recorded = await transitions(clusterId);
    expect(recorded.map((e) => e.type)).toEqual(['ClusterConnected', 'ClusterDisconnected', 'ClusterConnected']);
    // The nth transition carries the nth id: what makes a second recording of it impossible.
    expect(recorded.map((e) => e.id)).toEqual([1, 2, 3].map((n) => livenessEventId(clusterId, n)));
    expect(recorded.every((e) => e.metadata.actor === 'system:liveness')).toBe(true);
    expect(statusAppends).toBeGreaterThan(50);
    expect(stores.flatMap((s) => s.streamReads)).toEqual([]);
    expect(replicas.map((r) => r.connection(clusterId))).toEqual(['connected', 'connected']);
  });

  it('connects a cluster whose heartbeats came before its registration reached the hub', async () => {
    await startReplicas(2);
    const clusterId = uniqueName('early');
    heartbeats(clusterId);
    await new Promise((r) => setTimeout(r, heartbeatIntervalMs * 3));
    expect(await transitions(clusterId)).toEqual([]);
    expect(replicas.map((r) => r.connection(clusterId))).toEqual(['absent', 'absent']);

    await append(clusterId, [registered(clusterId)]);
    await eventually(transitionCount(clusterId, 1), 15_000, 'ClusterConnected');
    await new Promise((r) => setTimeout(r, windowMs));
    expect((await transitions(clusterId)).map((e) => e.type)).toEqual(['ClusterConnected']);
  });

  it('records nothing for a deregistered cluster, whatever it sends', async () => {
    const clusterId = uniqueName('gone');
    await append(clusterId, [registered(clusterId), { type: 'ClusterDeregistered', data: { clusterId } }]);
    await startReplicas(1);
    heartbeats(clusterId);
    await new Promise((r) => setTimeout(r, windowMs * 2));
    expect(await transitions(clusterId)).toEqual([]);
    expect(replicas[0]!.connection(clusterId)).toBe('deregistered');
  });
});
