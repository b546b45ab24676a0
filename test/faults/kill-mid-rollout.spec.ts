import path from 'node:path';
import type { RecordedEvent } from '@flotilla/event-store';
import { startOwnPostgres, type OwnPostgres } from '@flotilla/testing';
import { eventually, startGitopsFleet, type GitopsCluster, type GitopsFleet } from '../e2e/gitops-harness';
import { expectRecovered } from './fault-harness';

// kill -9 (SIGKILL, no polite stop) of each part a rollout goes through, one after the other
// on one fleet: the Postgres postmaster while the hub ingests the agent's reports (a cluster
// this test owns: initdb on a free port), the NATS server (restarted on its store), and the
// agent while it applies (restarted on its state directory). After each: every report the
// agent sent is recorded exactly once, the cluster converges within the stated bound, and the
// log's hash chain verifies (`flotilla audit verify`), and the read models equal a rebuild.
jest.setTimeout(300_000);

/** Generous: other suites run beside this one on two cores. */
const settleMs = 90_000;
/** The bound the test states: connected, synced and healthy at the commit within this of each fault ending. */
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

describe('kill -9 mid-rollout of Postgres, NATS and the agent: no report lost or doubled, converged after each', () => {
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

  /**
   * Commits `version`, runs the fault, then shows recovery (fault-harness.ts): converged within
   * the bound, every report accounted for in the order sent, audit verify ok, views equal a rebuild.
   */
  async function rollOutThrough(
    label: string,
    version: string,
    fault: (commit: string) => Promise<void>,
  ): Promise<void> {
    const commit = await g.git.commit(`web: ${version}`, configs(version));
    expect(await g.webhook()).toBe(202);
    await fault(commit);
    const recoveredAt = Date.now();
    await expectRecovered(g.fleet, {
      label,
      clusters: [eu],
      settleMs,
      converge: { application: 'web', commit, since: recoveredAt, boundMs: convergeMs },
    });
    expect(ofCommit(await g.allEvents(), 'SyncSucceeded', commit)).toHaveLength(1);
  }
  const syncStartedInLog = (commit: string) =>
    eventually(
      async () => ofCommit(await g.allEvents(), 'SyncStarted', commit)[0],
      settleMs,
      `SyncStarted of ${commit} in the log`,
    );

  it('starts synced at commit A', async () => {
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
    await g.grantPolicy('web', { clusterScopedKinds: ['Namespace'] }); // The application brings its own Namespace: cluster-scoped, so an admin grants the kind.
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    await eventually(() => syncedAt(commitA), settleMs, 'web synced at commit A');
  });

  it('through a SIGKILL of the Postgres postmaster while the hub ingests the reports of commit B', async () => {
    await rollOutThrough('kill -9 of the Postgres postmaster mid-ingest', 'b', async (commit) => {
      await syncStartedInLog(commit);
      await pg.kill();
      // The hub stays up without its database; the agent goes on applying and reporting.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(g.fleet.hub.proc.exitCode).toBeNull();
      await pg.restart();
    });
  });

  it('through a SIGKILL of the NATS server mid-rollout of commit C, restarted on its store', async () => {
    await rollOutThrough('kill -9 of NATS mid-rollout', 'c', async (commit) => {
      await syncStartedInLog(commit);
      await g.fleet.nats.kill();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await g.fleet.nats.restart();
    });
  });

  it('through a SIGKILL of the agent while it applies commit D, restarted on its state directory', async () => {
    await rollOutThrough('kill -9 of the agent mid-apply', 'd', async () => {
      // Killed as soon as the first object of D is in the cluster: the apply is under way.
      await eventually(
        async () => {
          const list = await eu.core.listNamespacedConfigMap({ namespace: 'web-eu' });
          return list.items.some((cm) => cm.data?.version === 'd') ? true : undefined;
        },
        settleMs,
        'the first ConfigMap of commit D applied',
      );
      eu.agent.proc.kill('SIGKILL');
      expect(await eu.agent.exited).toBe('SIGKILL');
      eu.agent = g.fleet.startAgent({
        name: eu.name,
        credentialsFile: path.join(g.fleet.dir, eu.name, 'credentials.json'),
        kubeconfig: eu.kubeconfig,
      });
      await eu.agent.waitFor(/connected/, settleMs);
    });
    expect(eu.agent.proc.exitCode).toBeNull();
  });
});
