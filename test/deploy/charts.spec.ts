import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startKubeApiServer, type KubeApiServer } from '@flotilla/testing';
import { agentManifests } from '../../services/cli/src/commands/agent-manifests';

/**
 * The Helm charts under deploy/charts with the real helm (lint, template) and every rendered
 * object accepted by the real kube-apiserver (`kubectl apply --server-side --dry-run=server`),
 * for the default values and two other value sets each. The agent chart's RBAC, in both
 * profiles (namespaces, cluster), is the same as deploy/agent/rbac*.yaml (proven as the agent's ServiceAccount by libs/kube's
 * rbac.int.spec.ts) and as what `flotilla clusters join` prints; the plain manifests under
 * deploy/manifests are the hub chart rendered, and kustomize builds them.
 */
const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);
const charts = path.join(root, 'deploy/charts');
let helm = 'helm';
let kubectl = 'kubectl';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const parseDocs = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

// The minimum the agent chart needs: it refuses to render without them.
const agentRequired = ['--set', 'clusterName=eu-1', '--set', 'natsUrl=nats://hub.example.com:4222'];
const valueSets: Record<'flotilla-hub' | 'flotilla-agent', Array<[string, string[]]>> = {
  'flotilla-hub': [
    ['defaults', []],
    [
      'external NATS, 3 replicas, admin token and git credentials Secrets, LoadBalancer',
      ['--set', 'nats.externalUrl=nats://nats.example.com:4222', '--set', 'replicas=3', '--set', 'adminToken.existingSecret=hub-admin',
        '--set', 'gitCredentials.existingSecret=git-creds', '--set', 'service.type=LoadBalancer', '--set', 'traces.exporter=otlp',
        '--set', 'traces.otlpEndpoint=http://otel:4318'], // prettier-ignore
    ],
    [
      'in-chart NATS on a named StorageClass exposed by NodePort, image by reference',
      ['--set', 'nats.storage.storageClassName=fast', '--set', 'nats.storage.size=50Gi', '--set', 'nats.service.type=NodePort',
        '--set', 'image.reference=registry.example.com/flotilla/hub@sha256:' + '0'.repeat(64), '--set', 'replicas=1'], // prettier-ignore
    ],
  ],
  'flotilla-agent': [
    ['defaults', agentRequired],
    [
      'namespaces profile with two managed namespaces',
      [...agentRequired, '--set', 'rbac.managedNamespaces={shop,web}'],
    ],
    [
      'cluster profile, existing registration Secret, OTLP traces',
      [...agentRequired, '--set', 'rbac.profile=cluster', '--set', 'registration.existingSecret=my-registration',
        '--set', 'traces.exporter=otlp', '--set', 'traces.otlpEndpoint=http://otel:4318', '--set', 'image.tag=0.2.0'], // prettier-ignore
    ],
  ],
};

describe('deploy/charts with the real helm and kube-apiserver', () => {
  let kube: KubeApiServer;
  let dir: string;
  const env = () => ({ ...process.env, KUBECONFIG: kube.kubeconfigPath });

  beforeAll(async () => {
    const tools = (await run('bash', [path.join(root, 'scripts/ensure-k8s-tools.sh')])).stdout;
    helm = /FLOTILLA_HELM=(.*)/.exec(tools)![1]!;
    kubectl = /FLOTILLA_KUBECTL=(.*)/.exec(tools)![1]!;
    dir = mkdtempSync(path.join(tmpdir(), 'flotilla-charts-'));
    kube = await startKubeApiServer().catch((err: Error) => {
      throw new Error(
        `cannot start the real kube-apiserver (build it once with \`bash test/kube/build.sh\`): ${err.message}`,
        {
          cause: err,
        },
      );
    });
    // Dry-run applies of namespaced objects need their namespaces to exist.
    for (const ns of ['flotilla', 'flotilla-system', 'shop', 'web'])
      await run(kubectl, ['create', 'namespace', ns], { env: env() });
  }, 120_000);
  afterAll(async () => {
    await kube?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const template = async (chart: string, namespace: string, args: string[]) =>
    (await run(helm, ['template', 'flotilla', path.join(charts, chart), '--namespace', namespace, ...args])).stdout;

  const dryRun = async (manifests: string) => {
    const file = path.join(dir, `objects-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, manifests);
    const { stdout } = await run(
      kubectl,
      // No -n: every object names its namespace (helm template | kubectl apply lands where intended).
      ['apply', '--server-side', '--dry-run=server', '--field-manager=flotilla-test', '-f', file],
      { env: env() },
    );
    return stdout;
  };

  for (const chart of ['flotilla-hub', 'flotilla-agent'] as const) {
    const namespace = chart === 'flotilla-hub' ? 'flotilla' : 'flotilla-system';
    for (const [name, args] of valueSets[chart]) {
      it(`${chart} (${name}): helm lint and template pass, and the kube-apiserver accepts every object`, async () => {
        const lint = await run(helm, ['lint', '--strict', path.join(charts, chart), ...args]);
        expect(lint.stdout).toContain('0 chart(s) failed');
        const manifests = await template(chart, namespace, args);
        const objects = parseDocs(manifests);
        expect(objects.length).toBeGreaterThanOrEqual(3);
        const applied = await dryRun(manifests);
        // One line per object, each "serverside-applied (server dry run)".
        const lines = applied.trim().split('\n');
        expect(lines).toHaveLength(objects.length);
        for (const line of lines) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
      }, 60_000);
    }
  }

  it('the agent chart refuses to render without clusterName and natsUrl', async () => {
    await expect(template('flotilla-agent', 'flotilla-system', [])).rejects.toThrow(/clusterName is required/);
  });

  it("the hub chart's NATS is a StatefulSet on a PersistentVolume unless an external URL is given", async () => {
    const own = parseDocs(await template('flotilla-hub', 'flotilla', []));
    expect(own.map(key)).toContain('StatefulSet/flotilla/flotilla-nats');
    const external = parseDocs(await template('flotilla-hub', 'flotilla', ['--set', 'nats.externalUrl=nats://n:4222']));
    expect(external.map((o) => o.kind)).not.toContain('StatefulSet');
  });

  it("the agent chart's RBAC, deploy/agent/rbac*.yaml and `clusters join` output are the same objects", async () => {
    const strip = (o: Obj) => ({ ...o, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } });
    const rbacKinds = ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'];
    const fromFiles = [
      ...parseDocs(readFileSync(path.join(root, 'deploy/agent/rbac.yaml'), 'utf8')),
      ...parseDocs(readFileSync(path.join(root, 'deploy/agent/rbac-namespace.yaml'), 'utf8')).map((o) => ({
        ...o,
        metadata: { ...o.metadata, namespace: 'shop' },
      })),
    ].filter((o) => rbacKinds.includes(o.kind));
    const fromChart = parseDocs(
      await template('flotilla-agent', 'flotilla-system', [...agentRequired, '--set', 'rbac.managedNamespaces={shop}']),
    ).filter((o) => rbacKinds.includes(o.kind));
    const fromJoin = agentManifests({
      clusterName: 'eu-1',
      natsUrl: 'nats://hub.example.com:4222',
      token: 't',
      bootstrapCreds: 'c',
      image: 'i',
      managedNamespaces: ['shop'],
    }).filter((o) => rbacKinds.includes(o.kind as string)) as Obj[];
    const sorted = (list: Obj[]) => list.map(strip).sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(fromChart)).toEqual(sorted(fromFiles));
    expect(sorted(fromJoin)).toEqual(sorted(fromFiles));

    // The cluster-wide profile: rbac.yaml plus rbac-cluster.yaml, nothing per namespace.
    const clusterFiles = [
      ...parseDocs(readFileSync(path.join(root, 'deploy/agent/rbac.yaml'), 'utf8')),
      ...parseDocs(readFileSync(path.join(root, 'deploy/agent/rbac-cluster.yaml'), 'utf8')),
    ].filter((o) => rbacKinds.includes(o.kind));
    const clusterChart = parseDocs(
      await template('flotilla-agent', 'flotilla-system', [...agentRequired, '--set', 'rbac.profile=cluster']),
    ).filter((o) => rbacKinds.includes(o.kind));
    const clusterJoin = agentManifests({
      clusterName: 'eu-1',
      natsUrl: 'nats://hub.example.com:4222',
      token: 't',
      bootstrapCreds: 'c',
      image: 'i',
      rbacProfile: 'cluster',
    }).filter((o) => rbacKinds.includes(o.kind as string)) as Obj[];
    expect(sorted(clusterChart)).toEqual(sorted(clusterFiles));
    expect(sorted(clusterJoin)).toEqual(sorted(clusterFiles));
  });

  it('deploy/manifests/hub is the hub chart rendered with its defaults, and kustomize builds it', async () => {
    const rendered = await template('flotilla-hub', 'flotilla', []);
    const checkedIn = readFileSync(path.join(root, 'deploy/manifests/hub/flotilla-hub.yaml'), 'utf8');
    expect(parseDocs(checkedIn)).toEqual(parseDocs(rendered));
    const built = (await run(kubectl, ['kustomize', path.join(root, 'deploy/manifests/hub')])).stdout;
    expect(parseDocs(built).map(key).sort()).toEqual(
      parseDocs(rendered)
        .map((o) => key({ ...o, metadata: { ...o.metadata, namespace: 'flotilla' } }))
        .sort(),
    );
    expect(await dryRun(built)).toMatch(/deployment.apps\/flotilla serverside-applied/);
  }, 60_000);
});
