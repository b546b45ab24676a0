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
    await g.grantPolicy('web', { namespaces: ['*'] }); // the target sets no namespace: its objects name theirs
    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    // The agent retries the failed sync every few seconds (failed -> syncing -> failed): catch it failed.
    const status = await eventually(
      async () => {
        const r = await run('apps', 'status', 'web');
        return /^eu-real\s+connected\s+failed\s+missing\s/m.test(r.stdout) ? r : undefined;
      },
      settleMs,
      'web failed and missing on eu-real',
    );
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
    // The agent retries meanwhile: failed or syncing, the last failure is what it says.
    expect(wait.stderr).toMatch(/eu-real: .*(sync failed|last attempt failed): 2 of 2 resources failed/);
  });

  it('item 7: apps status --cluster shows each resource: sync result, health and the API message', async () => {
    const view = await run('apps', 'status', 'web', '--cluster', 'eu-real');
    expect(view.code).toBe(0);
    expect(view.stdout).toMatch(/^application web on cluster eu-real: last sync failed at [0-9a-f]{12} /m);
    expect(view.stdout).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+SYNC\s+HEALTH\s+DRIFT\s+MESSAGE$/m);
    expect(view.stdout).toMatch(
      /^ConfigMap\s+absent\s+first\s+failed\s+missing\s+-\s+NotFound: namespaces "absent" not found$/m,
    );
    expect(view.stdout).toMatch(/^ConfigMap\s+absent\s+second\s+failed\s+missing\s+-\s+NotFound: /m);
    const json = JSON.parse((await run('apps', 'status', 'web', '--cluster', eu.id, '-o', 'json')).stdout);
    expect(json).toMatchObject({ clusterName: 'eu-real', lastSync: { result: 'failed' } });
    expect(json.resources).toHaveLength(2);
    const unknown = await run('apps', 'status', 'web', '--cluster', 'nowhere');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/cluster "nowhere" not found/);

    // A person makes the namespace; the next commit applies, and everything says so.
    await eu.core.createNamespace({ body: { metadata: { name: 'absent' } } });
    const second = await g.git.commit('web: again', {
      'apps/web/config.yaml': configMaps('absent').replace('"2"', '"3"'),
    });
    expect(await g.webhook({ after: second })).toBe(202);
    const wait = await run('apps', 'status', 'web', '--wait', '--timeout', '100s');
    expect(wait.code).toBe(0);
    expect(wait.stdout).toMatch(
      new RegExp(
        `^eu-real\\s+connected\\s+synced\\s+healthy\\s+${second.slice(0, 12)}\\s+${second.slice(0, 12)}\\s`,
        'm',
      ),
    );
    const fixed = await run('apps', 'status', 'web', '--cluster', 'eu-real');
    expect(fixed.stdout).toMatch(/^ConfigMap\s+absent\s+first\s+(created|configured)\s+healthy\s+-\s+-$/m);
  });

  it('item 2: a render failure of the newest commit shows in apps status, and --wait exits 1 with the reason', async () => {
    const before = await statusJson();
    const broken = await g.git.commit('web: broken', {
      'apps/web/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [\n',
    });
    expect(await g.webhook({ after: broken })).toBe(202);
    await eventually(
      async () => ((await statusJson()).render.state === 'failed' ? true : undefined),
      settleMs,
      'the render failure in apps status',
    );
    const status = await run('apps', 'status', 'web');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(
        `^newest commit seen ${broken.slice(0, 12)}; render of ${broken.slice(0, 12)} FAILED: it failed to render for cluster eu-real: apps/web/broken.yaml document 1: invalid-yaml: Flow sequence in block collection must be sufficiently indented and end with a ] at line 4, column 1$`,
        'm',
      ),
    );
    // The cluster keeps what it ran: still synced at the previous commit.
    expect(status.stdout).toMatch(
      new RegExp(
        `^eu-real\\s+connected\\s+synced\\s+healthy\\s+${before.clusters[0]!.appliedCommit!.slice(0, 12)}`,
        'm',
      ),
    );
    const wait = await run('apps', 'status', 'web', '--wait', '--timeout', '60s');
    expect(wait.code).toBe(1);
    expect(wait.stderr).toMatch(
      new RegExp(
        `application web cannot roll out ${broken.slice(0, 12)}: it failed to render for cluster eu-real: apps/web/broken.yaml`,
      ),
    );
  });

  it('item 10: --version, help, history of an unknown application, cluster names, the --at hint, the bootstrap token', async () => {
    const version = await run('--version');
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^flotilla \d+\.\d+\.\d+ \(node /) });
    const help = await run('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: flotilla /);
    expect((await run('help', 'apps')).stdout).toMatch(/^Usage: flotilla apps/);

    const unknown = await run('history', '--application', 'no-such-app');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/application "no-such-app" not found: it does not exist and has no history/);

    // Names, not ids, whatever the filter.
    for (const filter of [
      ['--application', 'web'],
      ['--type', 'SyncFailed'],
      ['--cluster', 'eu-real'],
    ]) {
      const history = await run('history', ...filter, '--limit', '20');
      expect(history.code).toBe(0);
      expect(history.stdout).toContain('eu-real');
      expect(history.stdout).not.toContain(eu.id);
    }

    const at = await run('state', 'eu-real', '--at', 'yesterday');
    expect(at.code).toBe(2);
    expect(at.stderr).toMatch(/--at "yesterday": expected an RFC 3339 time with a zone/);

    const tokens = await run('api-tokens', 'list');
    expect(tokens.code).toBe(0);
    expect(tokens.stdout).toMatch(/^bootstrap\s+admin\s+admin\s+active\s+config:FLOTILLA_HUB_ADMIN_TOKEN\s+-$/m);
  });
});
