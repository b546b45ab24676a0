import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  BundleRequestSchema,
  desiredStateRequestSubject,
  bundleRequestSubject,
  encodeMessage,
  messageMeta,
  statusSubject,
  statusRelaySubject,
} from '@flotilla/contracts';
import { startFleet, type Fleet } from '../e2e/registration-harness';
import {
  connectAsBootstrap,
  connectAsCluster,
  registerSubject,
  registrationRequest,
  sleep,
  register,
  registerRaw,
  watchEverything,
  type ClusterCredentials,
} from './security-harness';

// Finding 2 (issue 10): NATS does not check a request's reply subject against the
// requester's permissions. An attacker holding cluster A's credentials (or the shared
// bootstrap user's) sets the reply of its requests and publishes to a subject of cluster B;
// nothing may then land there, whoever answers (the hub's responders or JetStream's acks).
jest.setTimeout(180_000);

describe('reply-subject injection (hub, NATS in operator mode)', () => {
  let fleet: Fleet;
  let attacker: ClusterCredentials;
  let victim: ClusterCredentials;
  let nc: NatsConnection;
  let bootstrap: NatsConnection;

  beforeAll(async () => {
    fleet = await startFleet();
    victim = await registerRaw(fleet, 'victim');
    attacker = await registerRaw(fleet, 'attacker');
    nc = await connectAsCluster(fleet, attacker);
    bootstrap = await connectAsBootstrap(fleet);
  }, 150_000);
  afterAll(async () => {
    await nc?.close();
    await bootstrap?.close();
    await fleet?.close();
  });

  it('answers the requester on its own inbox, and nothing lands on another cluster’s subjects', async () => {
    // The responders work for a well-behaved request (the attack below is not refused for being broken).
    const answer = await nc.request(desiredStateRequestSubject(attacker.clusterId), new Uint8Array(), {
      timeout: 10_000,
    });
    expect(answer.data.length).toBeGreaterThan(0);

    const watcher = await watchEverything(fleet);
    const b = victim.clusterId;
    const bundleRequest = encodeMessage(
      BundleRequestSchema,
      create(BundleRequestSchema, {
        meta: messageMeta({ id: randomUUID(), clusterId: attacker.clusterId, sentAt: new Date() }),
        digest: `sha256:${'0'.repeat(64)}`,
      }),
    );
    const status = new TextEncoder().encode('not a status report');
    const publishes: Array<[string, Uint8Array, string]> = [
      [desiredStateRequestSubject(attacker.clusterId), new Uint8Array(), `flotilla.v1.hub.${b}.attack-desired`],
      [desiredStateRequestSubject(attacker.clusterId), new Uint8Array(), `_INBOX.${b}.attack-desired`],
      [bundleRequestSubject(attacker.clusterId), bundleRequest, `_INBOX.${b}.attack-bundle`],
      [bundleRequestSubject(attacker.clusterId), bundleRequest, `flotilla.v1.hub.${b}.attack-bundle`],
      // A status publish straight into the JetStream stream: its ack would go to the reply.
      [statusSubject(attacker.clusterId, 'sync-started'), status, `flotilla.v1.agent.${b}.status.attack-ack`],
      [statusSubject(attacker.clusterId, 'sync-started'), status, `$JS.API.STREAM.INFO.attack-ack`],
      [statusSubject(attacker.clusterId, 'sync-started'), status, `flotilla.v1.hub.${b}.attack-ack`],
      // The same through the hub's status relay, the agents' way into the stream.
      [statusRelaySubject(attacker.clusterId, 'sync-started'), status, `flotilla.v1.agent.${b}.status.attack-relay`],
      [statusRelaySubject(attacker.clusterId, 'sync-started'), status, `_INBOX.${b}.attack-relay`],
    ];
    for (const [subject, data, reply] of publishes) nc.publish(subject, data, { reply });
    const { bytes } = registrationRequest({ token: 'flt_reg_x_y', clusterName: 'intruder' });
    bootstrap.publish(registerSubject(), bytes, { reply: `flotilla.v1.hub.${b}.attack-register` });
    bootstrap.publish(registerSubject(), bytes, { reply: `_INBOX.${b}.attack-register` });
    await nc.flush();
    await bootstrap.flush();
    // The hub answers a request within milliseconds; give a loaded machine ample time.
    await sleep(3000);
    await watcher.close();

    const landed = watcher.seen.filter((m) => m.subject.includes('attack-')).map((m) => m.subject);
    expect(landed).toEqual([]);
    // Nothing was blamed on the victim either.
    const blamed = await fleet.events({ streamPrefix: `cluster-${b}` });
    expect(blamed.map((e) => e.type).filter((t) => t !== 'ClusterRegistered')).toEqual([]);
  });

  it('an agent’s status reports enter the stream only through the hub’s relay, deduplicated by message id', async () => {
    const js = jetstream(nc, { timeout: 3000 });
    const msgID = randomUUID();
    const data = new TextEncoder().encode('relayed');
    const first = await js.publish(statusRelaySubject(attacker.clusterId, 'sync-started'), data, { msgID });
    expect(first.seq).toBeGreaterThan(0);
    expect(first.duplicate).toBe(false);
    const again = await js.publish(statusRelaySubject(attacker.clusterId, 'sync-started'), data, { msgID });
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    // Straight into the stream is refused by NATS (no ack ever comes).
    await expect(js.publish(statusSubject(attacker.clusterId, 'sync-started'), data)).rejects.toThrow();
  });

  it('a registration answer reaches a well-behaved agent (sealed, under the bootstrap inbox)', async () => {
    const token = await fleet.createToken();
    expect(await register(fleet, { token, clusterName: 'well-behaved' })).toMatchObject({ case: 'accepted' });
    expect(await fleet.events({ types: ['ClusterRegistered'] })).toHaveLength(3);
  });
});
