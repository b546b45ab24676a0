import type { RecordedEvent } from '@flotilla/event-store';
import { startOwnPostgres, type OwnPostgres } from '@flotilla/testing';
import { eventually, startGitopsFleet, type GitopsCluster, type GitopsFleet } from '../e2e/gitops-harness';
import { accountReports, waitForReportsSettled } from './fault-harness';

// kill -9 of the Postgres postmaster while the hub ingests an agent's reports of a rollout
// (a cluster this test owns: initdb on a free port). The agent keeps applying and its reports
// wait in FLOTILLA_STATUS; once Postgres is back every report is recorded exactly once, the
// cluster converges within the stated bound, and the log's hash chain verifies.
jest.setTimeout(240_000);

/** Generous: other suites run beside this one on two cores. */
const settleMs = 90_000;
/** The bound the test states for convergence after Postgres is back. */
const convergeMs = 60_000;
const configMaps = 40;

const namespaceYaml = `apiVersion: v1
kind: Namespace
metadata:
  name: web-eu
`;
const configs = (version: string) =>
  Object.fromEntries(
    Array.from({ length: configMaps }, (_, i) => [
      `apps/web/config-${i}.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config-${i}\ndata:\n  version: ${version}\n`,
    ]),
  );
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
      namespace: web-eu
  syncPolicy:
    automated: true
    prune: true
`;

interface StatusView {
  clusters: Array<{ clusterId: string; sync: string; health: string; appliedCommit: string | null }>;
}

describe('kill -9 of the Postgres postmaster mid-ingest: no report lost or doubled', () => {
  let pg: OwnPostgres;
  let g: GitopsFleet;
  let eu: GitopsCluster;

  const ofCommit = (events: RecordedEvent[], type: string, commit: string) =>
    events.filter(
      (e) => e.streamId === `cluster-${eu.id}` && e.type === type && (e.data as { commit?: string }).commit === commit,
    );
  const syncedAt = async (commit: string) => {
    const { status, body } = await g.fleet.api('GET', '/api/v1/applications/web/status');
    const mine = status === 200 ? (body as StatusView).clusters.find((c) => c.clusterId === eu.id) : undefined;
    return mine?.sync === 'synced' && mine.appliedCommit === commit ? true : undefined;
  };

  beforeAll(async () => {
    pg = await startOwnPostgres();
    g = await startGitopsFleet([{ name: 'eu-emu', labels: { env: 'prod', region: 'eu' }, api: 'emulator' }], {
      database: { url: pg.url, name: 'postgres', drop: async () => undefined },
    });
    eu = g.clusters['eu-emu']!;
  }, 180_000);
  afterAll(async () => {
    await g?.close();
    await pg?.dispose();
  }, 120_000);

  it('rolls commit B out through a SIGKILL of the postmaster; every report is recorded once; the log verifies', async () => {
    const commitA = await g.git.commit('web: A', { 'apps/web/namespace.yaml': namespaceYaml, ...configs('a') });
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
    await eventually(
      async () =>
        (await g.fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === commitA)
          ? true
          : undefined,
      settleMs,
      'CommitObserved of commit A',
    );
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    await eventually(() => syncedAt(commitA), settleMs, 'web synced at commit A');

    // Commit B: the agent syncs 40 changed objects and reports as it goes; the postmaster is
    // killed as soon as the first of those reports is in the log.
    const commitB = await g.git.commit('web: B', configs('b'));
    expect(await g.webhook()).toBe(202);
    await eventually(
      async () => ofCommit(await g.allEvents(), 'SyncStarted', commitB)[0],
      settleMs,
      'SyncStarted of commit B in the log',
    );
    await pg.kill();
    const killedAt = Date.now();
    // The hub stays up without its database; the agent goes on applying.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(g.fleet.hub.proc.exitCode).toBeNull();
    await pg.restart();
    const restartedAt = Date.now();

    await eventually(
      () => syncedAt(commitB),
      convergeMs,
      `web synced at commit B within ${convergeMs} ms of the restart`,
    );
    await waitForReportsSettled(g, eu, settleMs);
    const accounting = await accountReports(g, eu);
    expect(accounting).toMatchObject({ lost: [], duplicated: [], unexpected: [] });
    expect(accounting.recorded).toBe(accounting.sent);
    const events = await g.allEvents();
    expect(ofCommit(events, 'SyncSucceeded', commitB)).toHaveLength(1);
    // Some reports really were in flight across the outage: recorded after the restart.
    expect(
      events.some(
        (e) => e.metadata.actor === `agent:${eu.id}` && e.recordedAt.getTime() >= restartedAt && restartedAt > killedAt,
      ),
    ).toBe(true);
    expect(await g.fleet.store.verify()).toMatchObject({ ok: true });
    expect(eu.agent.proc.exitCode).toBeNull();
  });
});
