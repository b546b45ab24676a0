import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import { runCli } from '../cli';
import type { CliIo } from '../cli-io';
import type { FetchFn } from '../hub/hub-client';
import type { ApplicationStatus, ClusterApplicationStatus } from '@flotilla/api';
import { pendingReason, progressLine } from './apps.command';

/**
 * `flotilla apps` and `flotilla sources` in-process, with the hub replaced by a recording
 * function: what each verb sends, what it prints, its exit code. The real hub is in
 * test/e2e/apps-cli.spec.ts.
 */
interface Sent {
  method: string;
  url: URL;
  body: unknown;
  contentType: string | null;
}
type Answer = (sent: Sent) => { status: number; body?: unknown };

const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-apps-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function harness(answer: Answer, stdinText = '') {
  const sent: Sent[] = [];
  let stdout = '';
  let stderr = '';
  const fetchFn: FetchFn = async (input, init) => {
    const headers = new Headers(init.headers);
    const request: Sent = {
      method: init.method ?? 'GET',
      url: new URL(input),
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      contentType: headers.get('content-type'),
    };
    sent.push(request);
    const { status, body } = answer(request);
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  };
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([stdinText]) as unknown as CliIo['stdin'],
    env: { FLOTILLA_CONFIG: path.join(dir, 'none.yaml'), FLOTILLA_HUB_URL: 'http://hub.test', FLOTILLA_TOKEN: 'tok' },
    now: () => new Date('2026-11-26T12:00:00Z'),
    fetch: fetchFn,
  };
  return {
    sent,
    run: async (...argv: string[]) => {
      stdout = '';
      stderr = '';
      const code = await runCli(argv, io);
      return { code, stdout, stderr };
    },
  };
}

const webYaml = `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: platform
  path: apps/web
  targets:
    - group: prod-eu
      namespace: web
`;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const spec = {
  source: 'platform',
  path: 'apps/web',
  targets: [{ group: 'prod-eu', namespace: 'web', patches: [] }],
  syncPolicy: { automated: true, prune: false, driftMode: 'detect', ignoredFields: {} },
};
const view = (extra: object = {}) => ({
  name: 'web',
  spec,
  file: { apiVersion: 'flotilla.dev/v1', kind: 'Application', metadata: { name: 'web' }, spec },
  pinnedCommit: null,
  pin: null,
  createdAt: '2026-11-26T11:00:00Z',
  createdBy: 'token:ci',
  updatedAt: '2026-11-26T11:30:00Z',
  updatedBy: 'token:ci',
  lastSyncRequest: null,
  ...extra,
});
const sha = 'a'.repeat(40);

const clusterStatus = (name: string, extra: Partial<ClusterApplicationStatus> = {}): ClusterApplicationStatus => ({
  clusterId: `c${name}`,
  clusterName: name,
  state: 'connected',
  desiredRevision: 1,
  desiredCommit: sha,
  desiredBundle: 'sha256:1',
  appliedCommit: sha,
  appliedBundle: 'sha256:1',
  sync: 'synced',
  health: 'healthy',
  drifted: false,
  driftedResources: 0,
  lastSyncAt: '2026-11-26T11:59:00Z',
  message: null,
  healthMessage: null,
  ...extra,
});
const statusOf = (clusters: ClusterApplicationStatus[]): ApplicationStatus => ({
  application: 'web',
  render: { sourceCommit: null, pinnedCommit: null, commit: null, state: 'none', failure: null },
  summary: {
    clusters: clusters.length,
    synced: clusters.filter((c) => c.sync === 'synced').length,
    healthy: clusters.filter((c) => c.health === 'healthy').length,
    drifted: clusters.filter((c) => c.drifted).length,
    offline: clusters.filter((c) => c.state === 'disconnected').length,
    failed: clusters.filter((c) => c.sync === 'failed').length,
  },
  clusters,
});

describe('flotilla apps', () => {
  it('apply -f validates locally, then PUTs the parsed file as JSON to the name in it', async () => {
    const h = harness(() => ({ status: 201, body: { ...view(), outcome: 'created' } }));
    const result = await h.run('apps', 'apply', '-f', file('web.yaml', webYaml));
    expect(result).toEqual({ code: 0, stdout: 'application web created\n', stderr: '' });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]).toMatchObject({ method: 'PUT', contentType: 'application/json' });
    expect(h.sent[0]!.url.pathname).toBe('/api/v1/applications/web');
    expect(h.sent[0]!.body).toMatchObject({
      metadata: { name: 'web' },
      spec: { source: 'platform', syncPolicy: { automated: false, prune: false, driftMode: 'detect' } },
    });
    const unchanged = harness(() => ({ status: 200, body: { ...view(), outcome: 'unchanged' } }));
    expect((await unchanged.run('apps', 'apply', '-f', file('web.yaml', webYaml))).stdout).toBe(
      'application web unchanged\n',
    );
    const changed = harness(() => ({ status: 200, body: { ...view(), outcome: 'changed' } }));
    expect((await changed.run('apps', 'apply', '-f', file('web.yaml', webYaml))).stdout).toBe(
      'application web configured\n',
    );
  });

  it('apply -f - reads stdin', async () => {
    const h = harness(() => ({ status: 201, body: { ...view(), outcome: 'created' } }), webYaml);
    expect(await h.run('apps', 'apply', '-f', '-')).toMatchObject({ code: 0, stdout: 'application web created\n' });
    expect(h.sent[0]!.url.pathname).toBe('/api/v1/applications/web');
  });

  it('apply of an invalid file prints every issue, exits 1, and sends nothing', async () => {
    const h = harness(() => ({ status: 500 }));
    const bad = webYaml.replace('path: apps/web', 'path: ../etc').concat('  syncPolicy:\n    prnue: true\n');
    const result = await h.run('apps', 'apply', '-f', file('bad.yaml', bad));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad.yaml is not a valid application (2 issues):');
    expect(result.stderr).toMatch(/^ {2}spec\.path: must be a relative directory/m);
    expect(result.stderr).toMatch(/^ {2}spec\.syncPolicy\.prnue: unknown field$/m);
    expect(h.sent).toHaveLength(0);
    const missing = await h.run('apps', 'apply', '-f', path.join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: no such file');
    expect((await h.run('apps', 'apply')).stderr).toMatch(/required option '-f, --filename <file>'/);
  });

  it("apply prints the hub's issues (unknown source, group) one per line", async () => {
    const h = harness(() => ({
      status: 400,
      body: {
        statusCode: 400,
        error: 'validation',
        code: 'invalid-application',
        message: 'invalid application: ...',
        field: 'spec.source',
        issues: [
          { path: 'spec.source', message: 'unknown source "platform"' },
          { path: 'spec.targets[0].group', message: 'unknown cluster group "prod-eu"' },
        ],
      },
    }));
    const result = await h.run('apps', 'apply', '-f', file('web.yaml', webYaml));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'the hub rejected ' +
        path.join(dir, 'web.yaml') +
        ' (2 issues):\n  spec.source: unknown source "platform"\n  spec.targets[0].group: unknown cluster group "prod-eu"',
    );
  });

  it('list prints a table; get prints fields, or the application file with -o yaml', async () => {
    const h = harness((s) =>
      s.url.pathname === '/api/v1/applications'
        ? { status: 200, body: { items: [view({ pin: { commit: sha, by: 'operator', actor: 'token:o', at: null } })] } }
        : { status: 200, body: view() },
    );
    const list = await h.run('apps', 'list', '--source', 'platform');
    expect(h.sent[0]!.url.searchParams.get('source')).toBe('platform');
    expect(list.stdout).toBe(
      'NAME   SOURCE     PATH       TARGETS                PINNED                    SYNC          AGE\n' +
        'web    platform   apps/web   group prod-eu -> web   aaaaaaaaaaaa (operator)   auto,detect   60m\n',
    );
    const yaml = await h.run('apps', 'get', 'web', '-o', 'yaml');
    expect(parse(yaml.stdout)).toEqual(view().file);
    const fields = await h.run('apps', 'get', 'web');
    expect(fields.stdout).toMatch(/^pinned: +no: follows the branch$/m);
    expect(fields.stdout).toMatch(/^target 1: +group prod-eu -> web$/m);
    const none = harness(() => ({ status: 200, body: { items: [] } }));
    expect(await none.run('apps', 'list')).toEqual({
      code: 0,
      stdout: '',
      stderr: expect.stringContaining('No applications yet'),
    });
  });

  it('policy set sends the whole policy (namespaced kinds default to any); policy get shows it and who set it', async () => {
    const policy = {
      namespaces: ['kube-system'],
      clusterScopedKinds: ['Namespace', 'rbac.authorization.k8s.io/ClusterRoleBinding'],
      namespacedKinds: ['*'],
    };
    const h = harness(() => ({
      status: 200,
      body: { application: 'web', policy, set: true, setBy: 'token:ops', setAt: '2026-12-04T10:00:00.000Z' },
    }));
    const set = await h.run(
      'apps',
      'policy',
      'set',
      'web',
      '--namespace',
      'kube-system',
      '--cluster-scoped-kind',
      'Namespace',
      '--cluster-scoped-kind',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
    );
    expect(set.code).toBe(0);
    expect(h.sent[0]).toMatchObject({ method: 'PUT', body: policy });
    expect(h.sent[0]!.url.pathname).toBe('/api/v1/applications/web/policy');
    expect(set.stdout).toMatch(/^cluster-scoped kinds: +Namespace, rbac.authorization.k8s.io\/ClusterRoleBinding$/m);
    const got = await h.run('apps', 'policy', 'get', 'web');
    expect(h.sent[1]).toMatchObject({ method: 'GET' });
    expect(got.stdout).toMatch(/^namespaces: +the target's, kube-system$/m);
    expect(got.stdout).toMatch(/^set: +2026-12-04T10:00:00.000Z by token:ops$/m);
  });

  it('pin sends a full commit id and refuses abbreviations; unpin and delete name the application', async () => {
    const h = harness((s) =>
      s.method === 'DELETE' ? { status: 204 } : { status: 200, body: view({ pin: null, pinnedCommit: null }) },
    );
    expect((await h.run('apps', 'pin', 'web', sha)).stdout).toBe(`application web pinned to ${sha}\n`);
    expect(h.sent[0]).toMatchObject({ method: 'POST', body: { commit: sha } });
    expect(h.sent[0]!.url.pathname).toBe('/api/v1/applications/web/pin');
    const abbreviated = await h.run('apps', 'pin', 'web', 'abc1234');
    expect(abbreviated.code).toBe(2);
    expect(abbreviated.stderr).toContain('`git rev-parse abc1234` prints the full id');
    expect((await h.run('apps', 'unpin', 'web')).stdout).toBe('application web unpinned: it follows its branch\n');
    expect((await h.run('apps', 'delete', 'web')).stdout).toBe('application web deleted\n');
    expect(h.sent.map((s) => `${s.method} ${s.url.pathname}`)).toEqual([
      'POST /api/v1/applications/web/pin',
      'POST /api/v1/applications/web/unpin',
      'DELETE /api/v1/applications/web',
    ]);
    const notPinned = harness(() => ({
      status: 409,
      body: { statusCode: 409, code: 'application-not-pinned', message: 'application "web" is not pinned' },
    }));
    const refused = await notPinned.run('apps', 'unpin', 'web');
    expect(refused).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('conflict: application "web" is not pinned'),
    });
    const gone = harness(() => ({ status: 404, body: { statusCode: 404, message: 'application "x" not found' } }));
    expect((await gone.run('apps', 'get', 'x')).stderr).toContain('application "x" not found');
  });

  it('sync resolves --cluster by name to its id', async () => {
    const h = harness((s) =>
      s.url.pathname === '/api/v1/clusters'
        ? { status: 200, body: { items: [{ id: 'c0123456789abcdef', name: 'eu-1', state: 'connected', labels: {} }] } }
        : {
            status: 202,
            body: { application: 'web', clusterId: (s.body as { clusterId?: string }).clusterId ?? null },
          },
    );
    const one = await h.run('apps', 'sync', 'web', '--cluster', 'eu-1');
    expect(one.stdout).toContain('sync of web requested on cluster eu-1');
    expect(h.sent[1]).toMatchObject({ method: 'POST', body: { clusterId: 'c0123456789abcdef' } });
    const all = await h.run('apps', 'sync', 'web');
    expect(all.stdout).toContain('on every targeted cluster');
    expect(h.sent[2]!.body).toEqual({});
    expect((await h.run('apps', 'sync', 'web', '--cluster', 'nope')).stderr).toContain('cluster "nope" not found');
  });

  describe('status', () => {
    it('prints the summary and one row per cluster; an offline cluster shows health unknown', async () => {
      const h = harness(() => ({
        status: 200,
        body: statusOf([
          clusterStatus('eu-1'),
          clusterStatus('eu-2', { state: 'disconnected', health: 'unknown', sync: 'synced' }),
        ]),
      }));
      const result = await h.run('apps', 'status', 'web');
      expect(h.sent[0]!.url.pathname).toBe('/api/v1/applications/web/status');
      expect(result.stdout).toMatch(/^application web: 2\/2 synced, 1\/2 healthy, 1 offline$/m);
      expect(result.stdout).toMatch(
        /^eu-2\s+disconnected\s+synced\s+unknown\s+aaaaaaaaaaaa\s+aaaaaaaaaaaa\s+-\s+60s\s+-$/m,
      );
      expect((await h.run('apps', 'status', 'web', '--timeout', '1m')).code).toBe(2);
    });

    it('--wait polls, shows progress on stderr, and returns once every connected cluster is synced and healthy', async () => {
      const rounds = [
        statusOf([
          clusterStatus('eu-1', { appliedCommit: null, appliedBundle: null, sync: 'pending', health: 'missing' }),
          clusterStatus('eu-2', { sync: 'syncing', health: 'progressing' }),
          clusterStatus('eu-3', { state: 'disconnected', health: 'unknown' }),
        ]),
        statusOf([
          clusterStatus('eu-1', { health: 'progressing' }),
          clusterStatus('eu-2'),
          clusterStatus('eu-3', { state: 'disconnected', health: 'unknown' }),
        ]),
        statusOf([
          clusterStatus('eu-1'),
          clusterStatus('eu-2'),
          clusterStatus('eu-3', { state: 'disconnected', health: 'unknown' }),
        ]),
      ];
      let round = 0;
      const h = harness(() => ({ status: 200, body: rounds[Math.min(round++, rounds.length - 1)] }));
      const result = await h.run('apps', 'status', 'web', '--wait', '--timeout', '1m');
      expect(result.code).toBe(0);
      expect(h.sent).toHaveLength(3);
      expect(result.stderr).toBe(
        '1/3 synced, 0/3 healthy, 1 offline\n3/3 synced, 1/3 healthy, 1 offline\n3/3 synced, 2/3 healthy, 1 offline\n',
      );
      expect(result.stdout).toMatch(/^eu-1\s+connected\s+synced\s+healthy/m);
    }, 30_000);

    it('--wait exits 1 at the timeout, saying which cluster is missing what', async () => {
      const h = harness(() => ({
        status: 200,
        body: statusOf([
          clusterStatus('eu-1', { sync: 'failed', message: 'Deployment web: admission denied' }),
          clusterStatus('eu-2', { appliedCommit: 'b'.repeat(40), sync: 'syncing' }),
          clusterStatus('eu-3', { state: 'disconnected', health: 'unknown' }),
        ]),
      }));
      const result = await h.run('apps', 'status', 'web', '--wait', '--timeout', '1s');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('application web is not rolled out after 1s');
      expect(result.stderr).toMatch(/^ {2}eu-1: sync failed: Deployment web: admission denied$/m);
      expect(result.stderr).toMatch(/^ {2}eu-2: applied bbbbbbbbbbbb, desired aaaaaaaaaaaa \(sync syncing\)$/m);
      expect(result.stderr).toMatch(/^ {2}not waited for \(offline\): eu-3$/m);
      expect(result.stdout).toBe('');
    }, 30_000);

    it('shows a render failure of the newest commit, and --wait exits 1 at once with its reason', async () => {
      const failing: ApplicationStatus = {
        ...statusOf([clusterStatus('eu-1')]),
        render: {
          sourceCommit: 'b'.repeat(40),
          pinnedCommit: null,
          commit: 'b'.repeat(40),
          state: 'failed',
          failure: {
            commit: 'b'.repeat(40),
            clusterId: null,
            clusterName: null,
            errors: [{ file: 'apps/web/bad.yaml', documentIndex: 0, code: 'InvalidYaml', reason: 'bad indentation' }],
            at: '2026-11-26T11:59:00Z',
          },
        },
      };
      const h = harness(() => ({ status: 200, body: failing }));
      const shown = await h.run('apps', 'status', 'web');
      expect(shown.stdout).toMatch(
        /^newest commit seen bbbbbbbbbbbb; render of bbbbbbbbbbbb FAILED: it failed to render: apps\/web\/bad.yaml document 1: InvalidYaml: bad indentation$/m,
      );
      const waited = await h.run('apps', 'status', 'web', '--wait', '--timeout', '1m');
      expect(waited.code).toBe(1);
      expect(waited.stderr).toMatch(
        /application web cannot roll out bbbbbbbbbbbb: it failed to render: apps\/web\/bad.yaml/,
      );
      expect(h.sent).toHaveLength(2);
    });

    it('decides per cluster what is missing', () => {
      expect(pendingReason(clusterStatus('a'))).toBeUndefined();
      expect(pendingReason(clusterStatus('a', { state: 'disconnected', health: 'unknown' }))).toBeUndefined();
      expect(pendingReason(clusterStatus('a', { desiredCommit: null }))).toBe('nothing rendered for it yet');
      expect(pendingReason(clusterStatus('a', { appliedBundle: 'sha256:0' }))).toMatch(/^applied/);
      expect(pendingReason(clusterStatus('a', { health: 'degraded', healthMessage: 'CrashLoopBackOff' }))).toBe(
        'health degraded: CrashLoopBackOff',
      );
      expect(progressLine(statusOf([]))).toBe('0/0 synced, 0/0 healthy');
    });
  });
});

describe('flotilla sources', () => {
  const source = {
    name: 'platform',
    url: 'https://git.example.com/acme/platform.git',
    branch: 'main',
    pollIntervalSeconds: 120,
    credentialsRef: null,
    webhookSecretRef: 'hook',
    webhookPath: '/api/v1/sources/platform/webhook',
    status: 'ok',
    failingSince: null,
    lastError: null,
    lastObservedCommit: {
      sha: 'f'.repeat(40),
      message: 'bump web\n\nbody',
      author: 'Ada <ada@example.com>',
      committedAt: null,
      observedAt: '2026-11-26T11:58:00Z',
    },
    historyRewrittenAt: null,
    webhookRejections: 0,
    lastWebhookRejection: null,
    addedAt: '2026-11-25T12:00:00Z',
    addedBy: 'token:o',
  };

  it('add sends the flags, with --interval in seconds', async () => {
    const h = harness(() => ({ status: 201, body: source }));
    const result = await h.run(
      'sources',
      'add',
      'platform',
      '--url',
      source.url,
      '--branch',
      'release',
      '--interval',
      '2m',
      '--credentials-ref',
      'deploy-key',
      '--webhook-secret-ref',
      'hook',
    );
    expect(result.code).toBe(0);
    expect(h.sent[0]).toMatchObject({
      method: 'POST',
      body: {
        name: 'platform',
        url: source.url,
        branch: 'release',
        pollIntervalSeconds: 120,
        credentialsRef: 'deploy-key',
        webhookSecretRef: 'hook',
      },
    });
    expect(result.stdout).toBe(
      `source platform added: ${source.url} (main), polled every 2m\n` +
        'git hosts deliver push events to <hub>/api/v1/sources/platform/webhook\n',
    );
    const bare = await h.run('sources', 'add', 'x', '--url', 'file:///srv/x.git');
    expect(bare.code).toBe(0);
    expect(h.sent[1]!.body).toEqual({ name: 'x', url: 'file:///srv/x.git' });
    expect((await h.run('sources', 'add', 'x', '--url', 'u', '--interval', 'often')).code).toBe(2);
    expect((await h.run('sources', 'add', 'x')).stderr).toMatch(/required option '--url <url>'/);
  });

  it('list, get and delete', async () => {
    const h = harness((s) =>
      s.method === 'DELETE'
        ? { status: 204 }
        : s.url.pathname === '/api/v1/sources'
          ? { status: 200, body: { items: [source] } }
          : { status: 200, body: source },
    );
    expect((await h.run('sources', 'list')).stdout).toBe(
      'NAME       STATUS   BRANCH   COMMIT         OBSERVED   INTERVAL   URL\n' +
        `platform   ok       main     ffffffffffff   2m         2m         ${source.url}\n`,
    );
    const got = await h.run('sources', 'get', 'platform');
    expect(got.stdout).toMatch(/^last commit: +f{40} by Ada <ada@example.com>$/m);
    expect(got.stdout).toMatch(/^message: +bump web$/m);
    expect((await h.run('sources', 'remove', 'platform')).stdout).toBe('source platform removed\n');
    expect(h.sent.map((s) => `${s.method} ${s.url.pathname}`)).toEqual([
      'GET /api/v1/sources',
      'GET /api/v1/sources/platform',
      'DELETE /api/v1/sources/platform',
    ]);
  });
});
