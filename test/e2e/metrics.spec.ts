import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, startGitopsFleet, type GitopsCluster, type GitopsFleet } from './gitops-harness';

// Issue 14, "Operable": Prometheus metrics of a running hub and agent (real processes, git, an
// emulated cluster), read in the text exposition format as Prometheus would, moving when a
// commit rolls out and when an agent stops.
jest.setTimeout(240_000);

const settleMs = 90_000;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format (0.0.4): `# HELP`/`# TYPE` lines and `name{label="v",...} value`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`not an exposition-format line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('/metrics on the hub and the agent', () => {
  let g: GitopsFleet;
  let cluster: GitopsCluster;
  let agentMetricsUrl: string;
  const hubMetrics = () => scrape(`${g.fleet.hubUrl}/metrics`);

  beforeAll(async () => {
    g = await startGitopsFleet([{ name: 'metrics-1', labels: { env: 'prod' }, api: 'emulator' }], {
      agentArgs: ['--metrics-port', '0', '--metrics-host', '127.0.0.1'],
    });
    cluster = g.clusters['metrics-1']!;
    await cluster.agent.waitFor(/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/, 30_000);
    const port = /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(cluster.agent.output())![1];
    agentMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  }, 240_000);
  afterAll(async () => {
    await g?.close();
  }, 120_000);

  it('the hub counts connected clusters; the agent reports its connection and outbox', async () => {
    const hub = await hubMetrics();
    expect(valueOf(hub, 'flotilla_hub_clusters', { connection: 'connected' })).toBe(1);
    expect(valueOf(hub, 'flotilla_hub_clusters', { connection: 'disconnected' })).toBe(0);
    expect(valueOf(hub, 'flotilla_hub_drifted_resources')).toBe(0);
    expect(valueOf(hub, 'flotilla_hub_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Nothing that names a cluster, an application or a person.
    expect(hub.some((s) => Object.values(s.labels).some((v) => v.includes(cluster.id) || v === 'metrics-1'))).toBe(
      false,
    );

    const agent = await scrape(agentMetricsUrl);
    expect(valueOf(agent, 'flotilla_agent_nats_connected')).toBe(1);
    expect(valueOf(agent, 'flotilla_agent_outbox_pending_reports')).toBeGreaterThanOrEqual(0);
    expect(valueOf(agent, 'flotilla_agent_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect((await fetch(agentMetricsUrl.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('a commit rolled out moves the rollout histograms, the render histogram and the ingest counter', async () => {
    const before = await hubMetrics();
    const appliedBefore = valueOf(before, 'flotilla_hub_commit_to_applied_seconds_count') ?? 0;
    expect(appliedBefore).toBe(0);

    const commit = await g.git.commit('web', {
      'apps/web/config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: default\ndata:\n  greeting: hello\n`,
    });
    await g.addSource(commit, settleMs);
    const put = await g.putApplication(
      'web',
      `apiVersion: flotilla.dev/v1
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
`,
    );
    expect(put.status).toBe(201);

    const after = await eventually(
      async () => {
        const samples = await hubMetrics();
        return (valueOf(samples, 'flotilla_hub_commit_to_applied_seconds_count') ?? 0) >= 1 ? samples : undefined;
      },
      settleMs,
      'flotilla_hub_commit_to_applied_seconds_count to count the rollout',
    );
    expect(valueOf(after, 'flotilla_hub_commit_to_applied_seconds_count')).toBe(1);
    expect(valueOf(after, 'flotilla_hub_commit_to_assigned_seconds_count')).toBe(1);
    const appliedSum = valueOf(after, 'flotilla_hub_commit_to_applied_seconds_sum')!;
    expect(appliedSum).toBeGreaterThan(0);
    expect(appliedSum).toBeLessThan(settleMs / 1000);
    // Every bucket at or above the observation holds it; +Inf holds everything.
    expect(valueOf(after, 'flotilla_hub_commit_to_applied_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(valueOf(after, 'flotilla_hub_render_seconds_count', { outcome: 'rendered' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'flotilla_hub_status_reports_total', { verdict: 'appended' })).toBeGreaterThan(0);
    expect(valueOf(after, 'flotilla_hub_status_ingest_backlog')).toBeGreaterThanOrEqual(0);

    const agent = await scrape(agentMetricsUrl);
    expect(valueOf(agent, 'flotilla_agent_outbox_published_total')).toBeGreaterThan(0);

    // The Grafana dashboard asks only for series a hub or an agent serves.
    const served = new Set([...after, ...agent].map((sample) => sample.name));
    const dashboard = readFileSync(path.join(__dirname, '../../deploy/grafana/flotilla.json'), 'utf8');
    const asked = [...new Set(dashboard.match(/flotilla_[a-z_]+/g) ?? [])];
    expect(asked.length).toBeGreaterThan(5);
    expect(asked.filter((name) => !served.has(name))).toEqual([]);
  });

  it('an agent that stops moves the connected-clusters gauge', async () => {
    await cluster.agent.stop();
    const samples = await eventually(
      async () => {
        const s = await hubMetrics();
        return valueOf(s, 'flotilla_hub_clusters', { connection: 'disconnected' }) === 1 ? s : undefined;
      },
      settleMs,
      'the hub to count the stopped cluster as disconnected',
    );
    expect(valueOf(samples, 'flotilla_hub_clusters', { connection: 'connected' })).toBe(0);
  });
});
