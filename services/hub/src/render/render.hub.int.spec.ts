import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import type { RecordedEvent } from '@flotilla/event-store';

import { startDesiredTestHub, type DesiredTestHub } from '../desired-state/testing/desired-test-hub';
import { GitFixture } from '../sources/testing/git-fixture';

jest.setTimeout(180_000);

const repoRoot = join(__dirname, '..', '..', '..', '..');
const fixtures = join(repoRoot, 'libs', 'render', 'src', 'testing', 'fixtures', 'source');

function fixtureFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[relative(fixtures, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(fixtures);
  return out;
}

interface Rendered {
  application: string;
  clusterId: string;
  commit: string;
  objectCount: number;
  renderer?: Record<string, string>;
}

describe('the hub renders Kustomize and Helm applications with the real tools (real Postgres, NATS, git)', () => {
  let hub: DesiredTestHub;
  let git: GitFixture;
  const saved = { helm: process.env.FLOTILLA_HUB_HELM, kubectl: process.env.FLOTILLA_HUB_KUBECTL };

  beforeAll(async () => {
    const out = execFileSync('bash', [join(repoRoot, 'scripts', 'ensure-k8s-tools.sh')], { encoding: 'utf8' });
    process.env.FLOTILLA_HUB_HELM = /FLOTILLA_HELM=['"]?([^'"\n]+)/.exec(out)![1];
    process.env.FLOTILLA_HUB_KUBECTL = /FLOTILLA_KUBECTL=['"]?([^'"\n]+)/.exec(out)![1];
    hub = await startDesiredTestHub();
    git = await GitFixture.create();
  });
  afterAll(async () => {
    await hub?.close();
    await git?.dispose();
    for (const [key, value] of [
      ['FLOTILLA_HUB_HELM', saved.helm],
      ['FLOTILLA_HUB_KUBECTL', saved.kubectl],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  const since = (position: number) => hub.store.readAll({ after: position });
  const ofType = (events: RecordedEvent[], type: string) => events.filter((e) => e.type === type);

  it('renders a chart and an overlay per cluster, records the renderer and tool version, and a broken template moves no cluster', async () => {
    const good = await git.commit('first', fixtureFiles());
    await hub.addSource('platform', git.url);
    // What each agent read from its API server at registration; a third reported nothing.
    const eu = await hub.registerCluster(
      'r-eu',
      { env: 'prod', region: 'eu' },
      { kubernetesVersion: 'v1.20.2', apiVersions: ['apps/v1', 'monitoring.coreos.com/v1', 'v1'] },
    );
    const us = await hub.registerCluster('r-us', { env: 'staging', region: 'us' }, { kubernetesVersion: 'v1.31.4' });
    const ap = await hub.registerCluster('r-ap', { env: 'staging', region: 'ap' }, { kubernetesVersion: 'unknown' });
    expect((await hub.observer.request('platform', 30_000)) as object).toMatchObject({ ok: true });
    const head = (await since(0)).at(-1)!.position;
    await hub.createApplication('shop', {
      source: 'platform',
      path: 'charts/web',
      helm: { values: { region: '${cluster.labels.region}' } },
      targets: [
        { selector: { matchLabels: { env: 'prod' } }, namespace: 'shop', helm: { valuesFiles: ['values-prod.yaml'] } },
        { selector: { matchLabels: { env: 'staging' } }, namespace: 'shop' },
      ],
      syncPolicy: { automated: true },
    });
    await hub.createApplication('web', {
      source: 'platform',
      path: 'apps/web',
      targets: [
        { selector: { matchLabels: { env: 'prod' } }, namespace: 'web', overlay: 'overlays/prod' },
        { selector: { matchLabels: { env: 'staging' } }, namespace: 'web', overlay: 'overlays/staging' },
      ],
    });
    await hub.desired.catchUp();
    const events = await since(head);
    expect(ofType(events, 'RenderFailed').map((e) => e.data)).toEqual([]);
    const rendered = ofType(events, 'RevisionRendered').map((e) => e.data as Rendered);
    expect(rendered.map((d) => [d.application, d.clusterId, d.commit]).sort()).toEqual(
      [
        ['shop', eu, good],
        ['shop', us, good],
        ['shop', ap, good],
        ['web', eu, good],
        ['web', us, good],
        ['web', ap, good],
      ].sort(),
    );
    const shopOf = (clusterId: string) =>
      rendered.find((d) => d.application === 'shop' && d.clusterId === clusterId) as Rendered & {
        bundleDigest: string;
      };
    expect(shopOf(eu).renderer).toMatchObject({
      kind: 'helm',
      tool: 'helm v3.17.2',
      chart: 'web 1.2.3',
      kubeVersion: 'v1.20.2 (reported by the cluster)',
    });
    expect(shopOf(us).renderer!.kubeVersion).toBe('v1.31.4 (reported by the cluster)');
    expect(shopOf(ap).renderer!.kubeVersion).toMatch(/^v1\.32\.0 \(default: the cluster reported no version/);
    // The chart's `.Capabilities` are each cluster's own: the platform ConfigMap says so.
    const platformData = async (clusterId: string) => {
      const [row] = await hub.store.dataSource.query(`SELECT content FROM bundles WHERE digest = $1`, [
        shopOf(clusterId).bundleDigest,
      ]);
      const list = JSON.parse(row.content as string) as Array<{
        kind: string;
        metadata: { name: string };
        data?: Record<string, string>;
      }>;
      return list.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-platform'))!.data;
    };
    expect(await platformData(eu)).toMatchObject({ kubeVersion: 'v1.20.2', monitoring: 'true' });
    expect(await platformData(us)).toMatchObject({ kubeVersion: 'v1.31.4', monitoring: 'false' });
    expect(await platformData(ap)).toMatchObject({ kubeVersion: 'v1.32.0', monitoring: 'false' });
    expect(rendered.find((d) => d.application === 'web')!.renderer).toEqual({
      kind: 'kustomize',
      tool: 'kustomize v5.5.0',
    });
    // Prod has the subchart's ConfigMap; staging does not.
    const count = (clusterId: string) =>
      rendered.find((d) => d.application === 'shop' && d.clusterId === clusterId)!.objectCount;
    expect([count(eu), count(us)]).toEqual([4, 3]);

    const assignedBefore = ofType(events, 'DesiredStateAssigned').length;
    expect(assignedBefore).toBeGreaterThan(0);
    const bad = await git.commit('break the chart', {
      'charts/web/templates/deployment.yaml': readFileSync(
        join(fixtures, 'charts/web/templates/deployment.yaml'),
        'utf8',
      ).replace('{{ .Values.replicas }}', '{{ .Values.replicas | nosuchfunction }}'),
    });
    const head2 = (await since(0)).at(-1)!.position;
    expect((await hub.observer.request('platform', 30_000)) as object).toMatchObject({ ok: true });
    await hub.desired.catchUp();
    const after = await since(head2);
    expect(ofType(after, 'DesiredStateAssigned')).toEqual([]);
    const failed = ofType(after, 'RenderFailed').map((e) => e.data as Rendered);
    expect(failed).toEqual([
      expect.objectContaining({
        application: 'shop',
        commit: bad,
        errors: [
          {
            code: 'helm-exit',
            file: 'charts/web/templates/deployment.yaml',
            documentIndex: null,
            reason: 'parse error at (web/templates/deployment.yaml:8): function "nosuchfunction" not defined',
          },
        ],
      }),
    ]);
  });
});
