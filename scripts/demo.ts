// The README's first command (`npm start`): brings a whole Flotilla up on this machine and
// walks through the story: a NATS server in operator (JWT) mode, a database on the running
// Postgres, the hub, three Kubernetes API servers (the emulator) each with its own agent that
// registers with a one-time token, cluster groups over their labels, a git repository made on
// the spot, an application assigned to one group, a commit that reaches exactly that group's
// clusters, a drift introduced by hand and reported, and the hash-chained log that recorded
// all of it. It stays up until Ctrl-C, then cleans up.
//
//   npm start                 the story, then stays up for exploring with the CLI
//   npm start -- --once       the story, then exits (the smoke test in CI runs this)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPostgresEventStore } from '@flotilla/event-store';
import { startKubeEmulator } from '@flotilla/kube-emulator';
import { createTestDatabase, freePort, startOperatorModeNats } from '@flotilla/testing';

const root = path.join(__dirname, '..');
const once = process.argv.includes('--once');
const started = Date.now();
const step = (message: string) => console.log(`[demo +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

/** The three clusters of the story, labelled into two groups (prod, eu) that overlap on eu-1. */
const clusters = [
  { name: 'eu-1', labels: { env: 'prod', region: 'eu' } },
  { name: 'eu-2', labels: { env: 'staging', region: 'eu' } },
  { name: 'us-1', labels: { env: 'prod', region: 'us' } },
];
const groups = [
  { name: 'prod', selector: { matchLabels: { env: 'prod' } } },
  { name: 'eu', selector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } },
];
const demoDurations = { hubStartMs: 120_000, agentsConnectMs: 60_000, syncMs: 120_000, driftMs: 60_000, pollMs: 250 };

/** The application of the story: its Namespace, a ConfigMap and a Deployment, customised per cluster. */
const manifests = (greeting: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: ${greeting}
  cluster: \${cluster.name}
  region: \${cluster.labels.region}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{ containerPort: 80 }]
`;
const application = `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: demo
  path: apps/web
  targets:
    - group: prod
      namespace: web
  syncPolicy:
    automated: true
    prune: true
    driftMode: detect
`;

/** FLOTILLA_HUB_HELM and FLOTILLA_HUB_KUBECTL from scripts/ensure-k8s-tools.sh (downloaded once by bootstrap). */
function k8sToolsEnv(): Record<string, string> {
  const out = execFileSync('bash', [path.join(__dirname, 'ensure-k8s-tools.sh')], { encoding: 'utf8' });
  const value = (name: string) => new RegExp(`${name}=['"]?([^'"\\n]+)`).exec(out)?.[1];
  const helm = value('FLOTILLA_HELM');
  const kubectl = value('FLOTILLA_KUBECTL');
  return { ...(helm ? { FLOTILLA_HUB_HELM: helm } : {}), ...(kubectl ? { FLOTILLA_HUB_KUBECTL: kubectl } : {}) };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Demo',
      GIT_AUTHOR_EMAIL: 'demo@flotilla.dev',
      GIT_COMMITTER_NAME: 'Demo',
      GIT_COMMITTER_EMAIL: 'demo@flotilla.dev',
    },
  }).trim();
}

interface Child {
  name: string;
  process: ChildProcess;
  output: string;
}

function startTs(name: string, entry: string, args: string[], env: Record<string, string>): Child {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  const proc = spawn(
    process.execPath,
    ['--conditions=flotilla-source', '-r', path.join(root, 'tools/register.js'), path.join(root, entry), ...args],
    { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child: Child = { name, process: proc, output: '' };
  const keep = (d: Buffer) => {
    // The last few kilobytes are enough to explain a failure.
    child.output = (child.output + d.toString()).slice(-8192);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return child;
}

async function stopChild(child: Child): Promise<void> {
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  children: Child[] = [],
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const child of children) {
      if (child.process.exitCode !== null)
        throw new Error(
          `${child.name} exited with ${child.process.exitCode} while waiting for ${what}:\n${child.output}`,
        );
    }
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, demoDurations.pollMs));
  }
}

/** Set once the hub is up: prints what the hub knows, to explain a failure. */
let diagnose: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
  };
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    step(`${signal}: stopping agents, hub, NATS and the emulator, dropping the demo database`);
    void cleanup().then(() => process.exit(0));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-demo-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));

    step('starting NATS in operator (JWT) mode: every agent gets its own user, confined to its cluster');
    const nats = await startOperatorModeNats({ name: 'flotilla-demo' });
    cleanups.push(() => nats.dispose());

    step('creating the demo database on the running Postgres');
    const database = await createTestDatabase('flotilla_demo');
    cleanups.push(() => database.drop());

    if (!existsSync(path.join(root, 'services/console/dist/index.html'))) {
      step('building the web console (services/console), which the hub serves at /');
      execFileSync('npm', ['run', 'build', '--silent', '-w', '@flotilla/console'], { cwd: root, stdio: 'ignore' });
    }
    const adminToken = `demo-admin-${randomBytes(16).toString('base64url')}`;
    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}`;
    step(`starting the hub on ${hubUrl} (migrations, read models, REST, NATS responders)`);
    const hub = startTs('hub', 'services/hub/src/main.ts', [], {
      FLOTILLA_HUB_DATABASE_URL: database.url,
      FLOTILLA_HUB_HTTP_HOST: '127.0.0.1',
      FLOTILLA_HUB_HTTP_PORT: String(port),
      FLOTILLA_HUB_ADMIN_TOKEN: adminToken,
      FLOTILLA_HUB_NATS_URL: nats.url,
      FLOTILLA_HUB_NATS_OPERATOR_SEED: nats.operator.seed,
      FLOTILLA_HUB_NATS_ACCOUNT_SEED: nats.account.seed,
      FLOTILLA_HUB_NATS_SYSTEM_CREDS: nats.systemUserCreds,
      FLOTILLA_HUB_SIGNING_KEY: randomBytes(32).toString('base64url'),
      FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS: '1000',
      // The pinned helm and kubectl (kustomize), so Helm and Kustomize applications render too.
      ...k8sToolsEnv(),
      // The demo's sources are local repositories.
      FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES: 'true',
    });
    cleanups.push(() => stopChild(hub));

    const api = async (method: string, urlPath: string, body?: unknown) => {
      const response = await fetch(`${hubUrl}${urlPath}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${urlPath}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };

    await waitFor(
      'the hub to be ready',
      demoDurations.hubStartMs,
      async () => ((await fetch(`${hubUrl}/readyz`)).ok ? true : undefined),
      [hub],
    );
    step(`hub is healthy: ${hubUrl}/readyz answers 200`);
    diagnose = async () => {
      const events = (await api('GET', '/api/v1/history?limit=30')) as {
        items?: Array<{ type: string; streamId: string; data: unknown }>;
      };
      console.error('[demo] the newest events in the log:');
      for (const e of events.items ?? [])
        console.error(`  ${e.type} ${e.streamId} ${JSON.stringify(e.data).slice(0, 300)}`);
      console.error(`[demo] the hub's last output:\n${hub.output}`);
    };

    step('starting three Kubernetes API servers (the emulator): eu-1, eu-2, us-1');
    const emulator = await startKubeEmulator({ clusters: clusters.map((c) => c.name) });
    cleanups.push(() => emulator.stop());

    const agents: Child[] = [];
    for (const cluster of clusters) {
      const created = await api('POST', '/api/v1/registration-tokens', { labels: cluster.labels, ttlSeconds: 600 });
      const kubeconfig = path.join(dir, `${cluster.name}.kubeconfig`);
      emulator.cluster(cluster.name).writeKubeconfig(kubeconfig);
      // What installing the agent does first (deploy/agent): its namespace, where it keeps
      // the inventories of what it applied.
      const ns = await fetch(`${emulator.cluster(cluster.name).url}/api/v1/namespaces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flotilla-system' } }),
      });
      if (!ns.ok) throw new Error(`creating flotilla-system on ${cluster.name}: ${ns.status} ${await ns.text()}`);
      const bootstrapCreds = path.join(dir, `${cluster.name}.bootstrap.creds`);
      writeFileSync(bootstrapCreds, created.bootstrapCreds, { mode: 0o600 });
      const credentialsFile = path.join(dir, `${cluster.name}.creds.json`);
      step(`agent ${cluster.name}: registering with a one-time token (labels ${JSON.stringify(cluster.labels)})`);
      const agent = startTs(
        `agent ${cluster.name}`,
        'services/agent/src/main.ts',
        [
          '--nats-url',
          nats.url,
          '--cluster-name',
          cluster.name,
          '--credentials-file',
          credentialsFile,
          '--kubeconfig',
          kubeconfig,
          '--bootstrap-creds',
          bootstrapCreds,
          '--heartbeat-interval-ms',
          '1000',
        ],
        { FLOTILLA_AGENT_TOKEN: created.token },
      );
      agents.push(agent);
      cleanups.push(() => stopChild(agent));
    }

    type ClusterView = { id: string; name: string; state: string; labels: Record<string, string> };
    const connected = await waitFor(
      'all three agents to register and connect',
      demoDurations.agentsConnectMs,
      async () => {
        const { items } = (await api('GET', '/api/v1/clusters')) as { items: ClusterView[] };
        return items.length === clusters.length && items.every((c) => c.state === 'connected') ? items : undefined;
      },
      [hub, ...agents],
    );
    for (const c of connected) step(`cluster ${c.name} (${c.id}) is ${c.state}, labels ${JSON.stringify(c.labels)}`);

    for (const group of groups) {
      const created = await api('POST', '/api/v1/cluster-groups', group);
      const members = (created.members ?? []).map((m: { name: string }) => m.name).join(', ');
      step(`cluster group ${group.name}: ${JSON.stringify(group.selector)} -> members: ${members}`);
    }

    step('making a git repository with the application (a Namespace, a ConfigMap and a Deployment) and committing it');
    const repo = path.join(dir, 'repo');
    mkdirSync(path.join(repo, 'apps/web'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    const commit = (greeting: string, message: string) => {
      writeFileSync(path.join(repo, 'apps/web/web.yaml'), manifests(greeting));
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', message);
      return git(repo, 'rev-parse', 'HEAD');
    };
    const first = commit('hello', 'web: first version');
    await api('POST', '/api/v1/sources', {
      name: 'demo',
      url: `file://${repo}`,
      branch: 'main',
      pollIntervalSeconds: 5,
    });
    step(`source demo: file://${repo} (polled every 5 s); application web -> cluster group prod`);
    // What web may create: by default its target namespace only and nothing cluster-scoped;
    // it brings its own Namespace object, so the admin grants that kind (recorded with the actor).
    await api('PUT', '/api/v1/applications/web/policy', {
      namespaces: [],
      clusterScopedKinds: ['Namespace'],
      namespacedKinds: ['*'],
    });
    step('policy of web (admin): its namespace web, plus the cluster-scoped kind Namespace');
    const put = await fetch(`${hubUrl}/api/v1/applications/web`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/yaml' },
      body: application,
    });
    if (!put.ok) throw new Error(`PUT /api/v1/applications/web: ${put.status} ${await put.text()}`);

    type StatusRow = { clusterName: string; appliedCommit: string | null; sync: string; health: string };
    const rolledOut = (sha: string, what: string) =>
      waitFor(
        what,
        demoDurations.syncMs,
        async () => {
          const status = (await api('GET', '/api/v1/applications/web/status')) as { clusters: StatusRow[] };
          const done = status.clusters.filter(
            (c) => c.appliedCommit === sha && c.sync === 'synced' && c.health === 'healthy',
          );
          return status.clusters.length === 2 && done.length === 2 ? status.clusters : undefined;
        },
        [hub, ...agents],
      );
    for (const c of await rolledOut(first, 'the first commit to reach the prod group'))
      step(`web on ${c.clusterName}: ${c.sync}, ${c.health} at ${c.appliedCommit!.slice(0, 12)}`);
    step('eu-2 (staging) runs nothing: it is not in the prod group');
    const firstRolledOutAt = new Date().toISOString();

    const second = commit('hello again', 'web: new greeting');
    step(`committed ${second.slice(0, 12)} (greeting "hello again"); waiting for the poll to pick it up`);
    for (const c of await rolledOut(second, 'the second commit to reach the prod group'))
      step(`web on ${c.clusterName}: ${c.sync}, ${c.health} at ${c.appliedCommit!.slice(0, 12)}`);

    step('introducing drift: someone edits the ConfigMap on eu-1 by hand (field manager kubectl-edit)');
    const edit = await fetch(
      `${emulator.cluster('eu-1').url}/api/v1/namespaces/web/configmaps/web-config?fieldManager=kubectl-edit`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ data: { greeting: 'edited by hand' } }),
      },
    );
    if (!edit.ok) throw new Error(`editing the ConfigMap on eu-1 failed: ${edit.status} ${await edit.text()}`);
    type DriftItem = {
      clusterName: string;
      resource: { kind: string; name: string };
      fields: Array<{ path: string; desired?: unknown; live?: unknown }>;
    };
    const drifted = await waitFor(
      'the drift on eu-1 to be reported',
      demoDurations.driftMs,
      async () => {
        const drift = (await api('GET', '/api/v1/drift')) as { items: DriftItem[] };
        return drift.items.length > 0 ? drift.items : undefined;
      },
      [hub, ...agents],
    );
    for (const d of drifted)
      for (const f of d.fields)
        step(
          `drift on ${d.clusterName}: ${d.resource.kind}/${d.resource.name} ${f.path}: git says ${JSON.stringify(f.desired)}, the cluster has ${JSON.stringify(f.live)}`,
        );

    const store = await createPostgresEventStore({ url: database.url, poolSize: 1 });
    try {
      const events = await store.readAll({ limit: 1000 });
      const counts = new Map<string, number>();
      for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
      step(`the log holds ${events.length} events: ${[...counts].map(([t, n]) => `${t} x${n}`).join(', ')}`);
      const verified = await store.verify();
      if (!verified.ok)
        throw new Error(`the hash chain is broken at position ${verified.brokenAt}: ${verified.reason}`);
      step(`audit: the hash chain verifies over ${verified.checked} events`);
    } finally {
      await store.close();
    }

    console.log(`
Flotilla is up. The web console: ${hubUrl}/  (sign in with the token ${adminToken})
Explore it with the CLI (another terminal):
  export FLOTILLA_HUB_URL=${hubUrl}
  export FLOTILLA_TOKEN=${adminToken}
  npx flotilla clusters list
  npx flotilla cluster-groups list
  npx flotilla apps status web
  npx flotilla history --application web
  npx flotilla drift
  npx flotilla state eu-1 --at ${firstRolledOutAt}     # what eu-1 ran after the first commit
  npx flotilla audit verify
The demo's git repository is ${repo}: commit to it, then
  npx flotilla sources refresh demo      # fetch now rather than at the next 5 s poll
  npx flotilla apps status web --wait    # the newest commit seen, its render, and each cluster reaching it
`);
    if (once) {
      step('demo finished (--once): cleaning up');
      await cleanup();
      return;
    }
    step('staying up until Ctrl-C');
    await new Promise(() => undefined);
  } catch (err) {
    console.error(`[demo] failed: ${(err as Error).message}`);
    await diagnose?.().catch(() => undefined);
    await cleanup();
    process.exit(1);
  }
}

void main();
