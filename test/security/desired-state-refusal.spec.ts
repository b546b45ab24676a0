import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { DesiredStateSchema, decodeMessage, desiredStateSubject, encodeMessage } from '@flotilla/contracts';
import { eventually, startGitopsFleet, type GitopsFleet } from '../e2e/gitops-harness';
import { connectWithRetries } from './security-harness';

// Finding 11 (issue 10): forged, foreign and replayed desired states were refused by the agent
// but only written to its log: the hub never heard of it, so an attack did not show in the
// fleet history. Real hub, NATS in operator mode, two agents reconciling emulated clusters;
// the attacker publishes onto the victim's desired-state subject (as whoever holds the right
// to publish there would: here the hub's own NATS user).
jest.setTimeout(300_000);

const settleMs = 90_000;
const configYaml = (greeting: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: ${greeting}
`;
const applicationYaml = `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: platform
  path: apps/web
  targets:
    - selector:
        matchLabels: { env: prod }
      namespace: default
  syncPolicy:
    automated: true
`;

describe('refused desired states are reported to the hub (issue 10, finding 11)', () => {
  let g: GitopsFleet;
  let nc: NatsConnection | undefined;
  /** Every desired state the hub pushed, per cluster id, as it crossed the wire. */
  const pushed = new Map<string, Uint8Array[]>();

  const stream = (clusterId: string) => g.fleet.store.readStream(`cluster-${clusterId}`);
  const revisionsSynced = async (clusterId: string) =>
    (await stream(clusterId))
      .filter((e) => e.type === 'SyncSucceeded')
      .map((e) => (e.data as { revision: number }).revision);

  beforeAll(async () => {
    g = await startGitopsFleet([
      { name: 'victim', labels: { env: 'prod' }, api: 'emulator' },
      { name: 'other', labels: { env: 'prod' }, api: 'emulator' },
    ]);
    nc = await connectWithRetries(() => g.fleet.nats.connect(g.fleet.nats.hubUserCreds, { name: 'attacker' }));
    nc.subscribe('flotilla.v1.hub.*.desired', {
      callback: (_err, msg: Msg) => {
        const clusterId = msg.subject.split('.')[3]!;
        pushed.set(clusterId, [...(pushed.get(clusterId) ?? []), msg.data]);
      },
    });
    await nc.flush();
  }, 240_000);
  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    await g?.close();
  }, 120_000);

  it('records each refusal on the victim’s stream with its reason, and the fleet history shows it', async () => {
    const victim = g.clusters.victim!;
    const other = g.clusters.other!;
    await g.git.commit('web', { 'apps/web/config.yaml': configYaml('one') });
    expect(
      (
        await g.fleet.api('POST', '/api/v1/sources', {
          name: g.sourceName,
          url: g.git.url,
          pollIntervalSeconds: 3600,
          webhookSecretRef: g.webhookSecretRef,
        })
      ).status,
    ).toBe(201);
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    await eventually(
      async () => ((await revisionsSynced(victim.id)).includes(1) ? true : undefined),
      settleMs,
      'revision 1 synced',
    );
    const after = await g.git.commit('web 2', { 'apps/web/config.yaml': configYaml('two') });
    expect(await g.webhook({ after })).toBe(202);
    await eventually(
      async () => {
        const [mine, theirs] = [await revisionsSynced(victim.id), await revisionsSynced(other.id)];
        return mine.includes(2) && theirs.includes(2) && (pushed.get(victim.id)?.length ?? 0) >= 2 ? true : undefined;
      },
      settleMs,
      'revision 2 synced on both clusters, and both pushes seen',
    );

    const before = (await stream(victim.id)).at(-1)!.position;
    const replayed = pushed.get(victim.id)![0]!;
    const foreign = pushed.get(other.id)!.at(-1)!;
    const genuine = decodeMessage(DesiredStateSchema, pushed.get(victim.id)!.at(-1)!);
    const forged = encodeMessage(DesiredStateSchema, { ...genuine, signature: new Uint8Array(randomBytes(64)) });
    for (const bytes of [replayed, foreign, forged]) nc!.publish(desiredStateSubject(victim.id), bytes);
    await nc!.flush();

    const refused = await eventually(
      async () => {
        const found = (await stream(victim.id)).filter((e) => e.type === 'DesiredStateRefused');
        return found.length >= 3 ? found : undefined;
      },
      60_000,
      'three DesiredStateRefused on the victim’s stream',
    );
    expect(refused.map((e) => (e.data as { reason: string }).reason).sort()).toEqual([
      'bad-signature',
      'foreign-cluster',
      'replayed',
    ]);
    for (const e of refused) {
      expect(e.data).toMatchObject({ clusterId: victim.id, via: 'push', message: expect.any(String) });
      expect(e.metadata.actor).toBe(`agent:${victim.id}`);
    }
    // The fleet history (REST, what `flotilla history` and the console read) shows them.
    const history = await g.fleet.api('GET', `/api/v1/history?cluster=${victim.id}&type=DesiredStateRefused`);
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(3);
    // Nothing was applied: no sync began after the attack.
    const synced = (await stream(victim.id)).filter((e) => e.position > before && e.type === 'SyncStarted');
    expect(synced).toEqual([]);
    // The other cluster's stream holds no refusal: it was not attacked.
    expect((await stream(other.id)).filter((e) => e.type === 'DesiredStateRefused')).toEqual([]);
  });
});
