import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { connectWithRetries } from './security-harness';
import {
  agentInboxPrefix,
  encodeMessage,
  Health,
  statusKinds,
  statusRelaySubject,
  StatusReportSchema,
} from '@flotilla/contracts';
import type { RecordedEvent } from '@flotilla/event-store';
import { desiredStateReactorName } from '../../services/hub/src/desired-state/desired-state.reactor';
import { deterministicEventId } from '../../services/hub/src/desired-state/deterministic-id';
import { livenessEventId } from '../../services/hub/src/nats/liveness/liveness-tracker';
import { reports } from '../../services/hub/src/status/testing/status-reports';
import { eventually, startGitopsFleet, type GitopsCluster, type GitopsFleet } from '../e2e/gitops-harness';

// Issue 10, finding 1: an agent-chosen report id must never pre-empt an event the hub appends
// later, on another cluster's stream or its own. Real processes: the hub, operator-mode NATS,
// two agents; the rogue is a registered cluster whose credentials the attacker holds and uses
// to publish hand-made reports through the hub's status relay on its own (permitted) subjects.
jest.setTimeout(240_000);

const settleMs = 90_000;
const namespaceYaml = `apiVersion: v1
kind: Namespace
metadata:
  name: web
`;
const configYaml = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
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
      namespace: web
  syncPolicy:
    automated: true
`;

/** How far ahead the attacker guesses the reactor's cause positions. */
const positionsAhead = 300;

describe('report identity is scoped to the reporting cluster (issue 10, finding 1)', () => {
  let g: GitopsFleet;
  let victim: GitopsCluster;
  let rogue: GitopsCluster;
  let nc: NatsConnection | undefined;
  const attackIds: string[] = [];

  const stream = (clusterId: string) => g.fleet.store.readStream(`cluster-${clusterId}`);
  const rejectionsOf = async (clusterId: string) =>
    (await g.allEvents()).filter(
      (e) => e.type === 'StatusRejected' && (e.data as { clusterId?: string }).clusterId === clusterId,
    );

  beforeAll(async () => {
    g = await startGitopsFleet([
      { name: 'victim', labels: { env: 'prod' }, api: 'emulator' },
      { name: 'rogue', labels: { env: 'dev' }, api: 'emulator' },
    ]);
    victim = g.clusters.victim!;
    rogue = g.clusters.rogue!;
    const credentials = JSON.parse(readFileSync(path.join(g.fleet.dir, 'rogue', 'credentials.json'), 'utf8')) as {
      seed: string;
      userJwt: string;
    };
    // A dial that times out on a loaded machine is the machine, not the attack: dialled again.
    nc = await connectWithRetries(() =>
      connect({
        servers: g.fleet.nats.url,
        inboxPrefix: agentInboxPrefix(rogue.id),
        authenticator: jwtAuthenticator(credentials.userJwt, new TextEncoder().encode(credentials.seed)),
      }),
    );
  }, 240_000);
  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    await g?.close();
  }, 120_000);

  it('refuses and records reports carrying the ids of the victim’s future hub events', async () => {
    const js = jetstream(nc!);
    const head = await g.fleet.store.headPosition();
    // The victim's next liveness transitions (1 is its ClusterConnected, already recorded)...
    for (let n = 2; n <= 6; n++) attackIds.push(livenessEventId(victim.id, n));
    // ...and the reactor's DesiredStateAssigned for the victim, whatever event causes it. Each
    // attack report takes one position itself (recorded, or its refusal), so the guesses start
    // past them.
    const first = head + 5 + positionsAhead + 1;
    for (let p = first; p < first + positionsAhead; p++)
      attackIds.push(deterministicEventId(`${desiredStateReactorName}/${p}/assigned/${victim.id}`));
    for (const id of attackIds) {
      const report = reports.healthChanged(rogue.id, 'web', Health.HEALTHY, id);
      await js.publish(
        statusRelaySubject(rogue.id, statusKinds.healthChanged),
        encodeMessage(StatusReportSchema, report),
        {
          msgID: id,
        },
      );
    }
    const ids = new Set(attackIds);
    // Every attack report is settled one way or the other: recorded on the rogue's stream
    // (the hole) or refused with a record.
    const settled = await eventually(
      async () => {
        const recorded = (await stream(rogue.id)).filter((e) => ids.has(e.id));
        const refused = await rejectionsOf(rogue.id);
        return recorded.length + refused.length >= attackIds.length ? { recorded, refused } : undefined;
      },
      settleMs,
      'the hub to handle every attack report',
    );
    expect(settled.recorded).toEqual([]);
    expect(settled.refused).toHaveLength(attackIds.length);
    for (const r of settled.refused) expect((r.data as { reason: string }).reason).toMatch(/id/);
  });

  it('records the victim’s assignment and its disconnection', async () => {
    const commit = await g.git.commit('web', {
      'apps/web/namespace.yaml': namespaceYaml,
      'apps/web/config.yaml': configYaml,
    });
    const added = await g.fleet.api('POST', '/api/v1/sources', {
      name: g.sourceName,
      url: g.git.url,
      pollIntervalSeconds: 3600,
      webhookSecretRef: g.webhookSecretRef,
    });
    expect(added.status).toBe(201);
    await eventually(
      async () =>
        (await g.fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === commit)
          ? true
          : undefined,
      settleMs,
      'CommitObserved',
    );
    await g.grantPolicy('web', { namespaces: ['web'], clusterScopedKinds: ['Namespace'] }); // The application brings its own Namespace: cluster-scoped, so an admin grants the kind.
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    // The agent applies what the hub published: proof the assignment happened, log or not.
    await eventually(
      async () => ((await stream(victim.id)).some((e) => e.type === 'SyncSucceeded') ? true : undefined),
      settleMs,
      'the victim to sync',
    );
    const assigned = (await stream(victim.id)).filter((e) => e.type === 'DesiredStateAssigned');
    expect(assigned.map((e) => (e.data as { revision: number }).revision)).toEqual([1]);

    expect(await victim.agent.stop()).toBe(0);
    const disconnected = await eventually(
      async () => (await stream(victim.id)).find((e: RecordedEvent) => e.type === 'ClusterDisconnected'),
      30_000,
      'the victim’s ClusterDisconnected',
    );
    expect(disconnected.metadata.actor).toBe('system:liveness');
    // The view follows the log (a projection): it says so shortly after.
    await eventually(
      async () =>
        (await g.fleet.api('GET', `/api/v1/clusters/${victim.id}`)).body.state === 'disconnected' ? true : undefined,
      15_000,
      'the clusters view to say disconnected',
    );
  });

  it('keeps a report id to one report: a redelivery is recorded once, a reuse for another report is refused', async () => {
    const js = jetstream(nc!);
    const before = (await rejectionsOf(rogue.id)).length;
    const first = reports.healthChanged(rogue.id, 'web', Health.DEGRADED);
    const id = first.meta!.id;
    const subject = statusRelaySubject(rogue.id, statusKinds.healthChanged);
    // No msgID: JetStream's own de-duplication is the sender's choice, the hub must not rely on it.
    await js.publish(subject, encodeMessage(StatusReportSchema, first));
    await js.publish(subject, encodeMessage(StatusReportSchema, first));
    const reused = reports.driftResolved(rogue.id, 'web', 'web-config', id);
    await js.publish(
      statusRelaySubject(rogue.id, statusKinds.driftResolved),
      encodeMessage(StatusReportSchema, reused),
    );
    await eventually(
      async () => ((await rejectionsOf(rogue.id)).length > before ? true : undefined),
      settleMs,
      'the reused id to be refused',
    );
    const ofReport = (await stream(rogue.id)).filter((e) => e.metadata.causationId === id);
    expect(ofReport.map((e) => e.type)).toEqual(['HealthChanged']);
    const refused = (await rejectionsOf(rogue.id)).slice(before);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.data).toMatchObject({ messageId: id });
    expect((await g.fleet.store.verify()).ok).toBe(true);
  });
});
