import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { flotilla, type CliResult } from './cli-process';
import { eventually, startGitopsFleet, type GitopsCluster, type GitopsFleet } from './gitops-harness';

// Issue 12 items 1, 2 and 7 from the CLI's point of view: the real hub and an agent reconciling
// the real kube-apiserver; `flotilla` is the real binary. The `it`s build on each other.
jest.setTimeout(300_000);

const settleMs = 120_000;

const configMaps = (ns: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: first
  namespace: ${ns}
data: { a: "1" }
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: second
  namespace: ${ns}
data: { b: "2" }
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
  syncPolicy:
    automated: true
    prune: true
`;

interface StatusJson {
  render: { state: string; commit: string | null };
  clusters: Array<{ clusterName: string; sync: string; health: string; appliedCommit: string | null }>;
}

describe('status that tells the truth (real hub, agent, kube-apiserver, CLI)', () => {
  let g: GitopsFleet;
  let eu: GitopsCluster;
  let home: string;
  let env: Record<string, string>;
  const run = (...args: string[]): Promise<CliResult> => flotilla(args, env);
  const statusJson = async (): Promise<StatusJson> =>
    JSON.parse((await run('apps', 'status', 'web', '-o', 'json')).stdout);

  beforeAll(async () => {
    g = await startGitopsFleet([{ name: 'eu-real', labels: { env: 'prod' }, api: 'kube-apiserver' }]);
    eu = g.clusters['eu-real']!;
    home = mkdtempSync(path.join(tmpdir(), 'flotilla-status-truth-'));
    env = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'xdg'),
      FLOTILLA_HUB_URL: g.fleet.hubUrl,
      FLOTILLA_TOKEN: g.fleet.adminToken,
    };
  }, 300_000);
  afterAll(async () => {
    await g?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('item 1: resources that failed to apply make the application missing with the API message, next to a failed sync', async () => {
    const first = await g.git.commit('web into a namespace nobody made', {
      'apps/web/config.yaml': configMaps('absent'),
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
        (await g.fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === first)
          ? true
          : undefined,
      settleMs,
      'CommitObserved of the first commit',
    );
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    await eventually(
      async () => {
        const s = await statusJson();
        return s.clusters[0]?.sync === 'failed' && s.clusters[0]?.health === 'missing' ? true : undefined;
      },
      settleMs,
      'web failed and missing on eu-real',
    );
    const status = await run('apps', 'status', 'web');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^application web: 0\/1 synced, 0\/1 healthy, 1 failed$/m);
    expect(status.stdout).toMatch(
      new RegExp(
        `^eu-real\\s+connected\\s+failed\\s+missing\\s+${first.slice(0, 12)}\\s+nothing\\s+.*2 of 2 resources failed: ConfigMap absent/first: NotFound: namespaces "absent" not found`,
        'm',
      ),
    );
    const wait = await run('apps', 'status', 'web', '--wait', '--timeout', '3s');
    expect(wait.code).toBe(1);
    expect(wait.stderr).toMatch(/eu-real: sync failed: 2 of 2 resources failed/);
  });
});
