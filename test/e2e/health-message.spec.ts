import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { flotilla, type CliResult } from './cli-process';
import { eventually, startGitopsFleet, type GitopsCluster, type GitopsFleet } from './gitops-harness';

// Issue 12 item 8, the stale health message: an application stayed "progressing: waiting for
// the controller to observe the latest generation" long after the controller had observed it
// and the real reason was MinimumReplicasUnavailable. The agent reported a health change only
// when the status changed (progressing -> progressing with a new reason said nothing); since
// 54f990f a changed message is reported too. This proves it from the CLI on the real
// kube-apiserver; the test writes the Deployment's status as its controller would (the test
// server runs no deployment controller and no kubelet).
jest.setTimeout(240_000);

const settleMs = 120_000;

describe('a health message that stops being true is replaced (real hub, agent, kube-apiserver, CLI)', () => {
  let g: GitopsFleet;
  let eu: GitopsCluster;
  let home: string;
  let env: Record<string, string>;
  const run = (...args: string[]): Promise<CliResult> => flotilla(args, env);
  const statusLine = async (pattern: RegExp, what: string) =>
    eventually(
      async () => {
        const r = await run('apps', 'status', 'api');
        return pattern.test(r.stdout) ? r : undefined;
      },
      settleMs,
      what,
    );

  beforeAll(async () => {
    g = await startGitopsFleet([{ name: 'eu-real', labels: { env: 'prod' }, api: 'kube-apiserver' }]);
    eu = g.clusters['eu-real']!;
    home = mkdtempSync(path.join(tmpdir(), 'flotilla-health-message-'));
    env = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'xdg'),
      FLOTILLA_HUB_URL: g.fleet.hubUrl,
      FLOTILLA_TOKEN: g.fleet.adminToken,
    };
  }, 240_000);
  afterAll(async () => {
    await g?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('progressing "waiting for the controller" becomes "0 of 1 replicas available (MinimumReplicasUnavailable)"', async () => {
    const sha = await g.git.commit('api', {
      'apps/api/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, image: "nginx:1.25" }] }
`,
    });
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
        (await g.fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === sha)
          ? true
          : undefined,
      settleMs,
      'CommitObserved',
    );
    expect(
      (
        await g.putApplication(
          'api',
          `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: api
spec:
  source: platform
  path: apps/api
  targets:
    - selector:
        matchLabels: { env: prod }
      namespace: api
  syncPolicy:
    automated: true
    createNamespace: true
`,
        )
      ).status,
    ).toBe(201);
    await statusLine(
      /^eu-real\s+connected\s+synced\s+progressing\s.*waiting for the controller to observe the latest generation$/m,
      'progressing, waiting for the controller',
    );

    // What the deployment controller writes when no replica becomes available.
    const now = new Date().toISOString();
    await eu.apps.patchNamespacedDeploymentStatus(
      {
        name: 'api',
        namespace: 'api',
        body: {
          status: {
            observedGeneration: 1,
            replicas: 1,
            updatedReplicas: 1,
            readyReplicas: 1,
            availableReplicas: 0,
            unavailableReplicas: 1,
            conditions: [
              {
                type: 'Available',
                status: 'False',
                reason: 'MinimumReplicasUnavailable',
                message: 'Deployment does not have minimum availability.',
                lastUpdateTime: now,
                lastTransitionTime: now,
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const status = await statusLine(
      /^eu-real\s+connected\s+synced\s+progressing\s.*0 of 1 replicas available \(MinimumReplicasUnavailable\)$/m,
      'the controller’s reason replacing the stale message',
    );
    expect(status.code).toBe(0);
    expect(status.stdout).not.toMatch(/waiting for the controller/);
  });
});
