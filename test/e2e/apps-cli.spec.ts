import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { GitFixture } from '../../services/hub/src/sources/testing/git-fixture';
import { startSourcesTestHub, type SourcesTestHub } from '../../services/hub/src/sources/testing/sources-test-hub';
import { testAdminToken } from '../../services/hub/src/testing/hub-test-app';
import { flotilla } from './cli-process';

/**
 * The real `flotilla` binary (a child process) for `sources` and `apps` against the hub's
 * HTTP app on a fresh database of the real Postgres; and `apps status --wait` against a
 * stand-in HTTP server that plays a rollout (a real one needs agents: test/e2e of the loop).
 * The hub runs in this Jest worker, so the CLI is awaited asynchronously.
 */

const webYaml = (group = 'prod-eu') => `# the web front end
apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: platform
  path: apps/web
  targets:
    - group: ${group}
      namespace: web
  syncPolicy:
    automated: true
`;

describe('flotilla sources and apps against a running hub', () => {
  let database: TestDatabase;
  let hub: SourcesTestHub;
  let git: GitFixture;
  let head: string;
  let home: string;
  let env: Record<string, string>;
  const run = (args: string[], stdin?: string) => flotilla(args, env, stdin);
  const file = (name: string, text: string) => {
    const p = path.join(home, name);
    writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    database = await createTestDatabase('e2e_apps_cli');
    hub = await startSourcesTestHub(database.url, { polling: false });
    git = await GitFixture.create('flotilla-apps-e2e-src');
    head = await git.commit('web', {
      'apps/web/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: hello\n',
    });
    home = mkdtempSync(path.join(tmpdir(), 'flotilla-apps-e2e-'));
    env = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'xdg'),
      FLOTILLA_HUB_URL: hub.baseUrl,
      FLOTILLA_TOKEN: testAdminToken,
    };
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await database?.drop();
    await git?.dispose();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('adds and lists a source', async () => {
    const added = await run(['sources', 'add', 'platform', '--url', git.url, '--interval', '2m']);
    expect(added).toMatchObject({
      code: 0,
      stdout: `source platform added: ${git.url} (main), polled every 2m\n`,
    });
    const list = await run(['sources', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+BRANCH\s+COMMIT\s+OBSERVED\s+INTERVAL\s+URL\n/);
    expect(list.stdout).toMatch(/^platform\s+pending\s+main\s+-\s+-\s+2m\s+file:\/\/\S+$/m);
    const json = JSON.parse((await run(['sources', 'get', 'platform', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ name: 'platform', pollIntervalSeconds: 120, addedBy: 'token:admin' });
    expect(await run(['sources', 'add', 'platform', '--url', git.url])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('conflict: source "platform" already exists'),
    });
  }, 120_000);

  it('refuses an invalid file locally and the hub refuses unknown references, each issue on its line', async () => {
    const invalid = file('invalid.yaml', webYaml().replace('automated: true', 'automated: true\n    prnue: true'));
    const local = await run(['apps', 'apply', '-f', invalid]);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(
      `${invalid} is not a valid application (1 issue):\n  spec.syncPolicy.prnue: unknown field`,
    );

    // Locally valid, but the hub has no cluster group "prod-eu" yet.
    const unknownGroup = await run(['apps', 'apply', '-f', file('web.yaml', webYaml())]);
    expect(unknownGroup.code).toBe(1);
    expect(unknownGroup.stderr).toContain('(1 issue):\n  spec.targets[0].group: unknown cluster group "prod-eu"');
    expect(await hub.store.readStream('application-web')).toEqual([]);
  }, 120_000);

  it('applies, lists, gets the file back, pins, unpins and deletes', async () => {
    expect((await run(['cluster-groups', 'create', 'prod-eu', '--selector', 'env=prod'])).code).toBe(0);
    const webFile = file('web.yaml', webYaml());
    expect(await run(['apps', 'apply', '-f', webFile])).toMatchObject({ code: 0, stdout: 'application web created\n' });
    expect(await run(['apps', 'apply', '-f', '-'], webYaml())).toMatchObject({
      code: 0,
      stdout: 'application web unchanged\n',
    });

    const list = await run(['apps', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+SOURCE\s+PATH\s+TARGETS\s+PINNED\s+SYNC\s+AGE\n/);
    expect(list.stdout).toMatch(/^web\s+platform\s+apps\/web\s+group prod-eu -> web\s+-\s+auto,detect\s+\S+$/m);

    // -o yaml is the application file: applying it back changes nothing.
    const got = await run(['apps', 'get', 'web', '-o', 'yaml']);
    expect(got.code).toBe(0);
    expect(parse(got.stdout)).toEqual({
      apiVersion: 'flotilla.dev/v1',
      kind: 'Application',
      metadata: { name: 'web' },
      spec: {
        source: 'platform',
        path: 'apps/web',
        targets: [{ group: 'prod-eu', namespace: 'web', patches: [] }],
        syncPolicy: { automated: true, prune: false, driftMode: 'detect', ignoredFields: {} },
      },
    });
    expect((await run(['apps', 'apply', '-f', '-'], got.stdout)).stdout).toBe('application web unchanged\n');

    const sha = head;
    expect(await run(['apps', 'pin', 'web', sha])).toMatchObject({
      code: 0,
      stdout: `application web pinned to ${sha}\n`,
    });
    expect((await run(['apps', 'get', 'web'])).stdout).toMatch(
      new RegExp(`^pinned: +${sha} \\(apps pin, by token:admin`, 'm'),
    );
    expect((await run(['apps', 'pin', 'web', 'HEAD'])).code).toBe(2);
    expect(await run(['apps', 'unpin', 'web'])).toMatchObject({
      code: 0,
      stdout: 'application web unpinned: it follows its branch\n',
    });
    expect(await run(['apps', 'unpin', 'web'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('conflict: application "web" is not pinned'),
    });

    // The hub's status endpoint: no cluster is registered, so none is targeted and there is nothing to wait for.
    expect(await run(['apps', 'status', 'web'])).toMatchObject({
      code: 0,
      stdout:
        'application web: 0/0 synced, 0/0 healthy\nno commit seen yet; nothing rendered yet\nno cluster is targeted\n',
    });
    expect(await run(['apps', 'status', 'web', '--wait', '--timeout', '30s'])).toMatchObject({
      code: 0,
      stderr: expect.stringContaining('application web targets no cluster'),
    });

    expect(await run(['apps', 'delete', 'web'])).toMatchObject({ code: 0, stdout: 'application web deleted\n' });
    expect(await run(['apps', 'get', 'web'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('application "web" not found'),
    });
    expect((await hub.store.readStream('application-web')).map((e) => e.type)).toEqual([
      'ApplicationCreated',
      'ApplicationPinned',
      'ApplicationUnpinned',
      'ApplicationDeleted',
    ]);
  }, 180_000);

  it('sources refresh fetches now and says what it found; an unknown source exits 1', async () => {
    const first = await run(['sources', 'refresh', 'platform']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`source platform fetched: at ${head.slice(0, 12)}, 1 new commit\n`);
    const next = await git.commit('web: more', {
      'apps/web/more.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n',
    });
    expect((await run(['sources', 'refresh', 'platform'])).stdout).toBe(
      `source platform fetched: at ${next.slice(0, 12)}, 1 new commit\n`,
    );
    expect((await run(['sources', 'refresh', 'platform'])).stdout).toBe(
      `source platform fetched: at ${next.slice(0, 12)}, 0 new commits\n`,
    );
    const unknown = await run(['sources', 'refresh', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/source "nope" not found/);
  });

  it('sources update changes a source in place (webhook secret, branch, interval), recorded with the actor', async () => {
    const added = await run([
      'sources',
      'update',
      'platform',
      '--webhook-secret-ref',
      'github-hook',
      '--interval',
      '5m',
    ]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toBe('source platform updated: interval 2m -> 5m, webhook secret none -> github-hook\n');
    const json = JSON.parse((await run(['sources', 'get', 'platform', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ webhookSecretRef: 'github-hook', pollIntervalSeconds: 300, branch: 'main' });
    const changed = (await hub.events('platform')).filter((e) => e.type === 'SourceChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.data).toEqual({
      name: 'platform',
      branch: 'main',
      pollIntervalSeconds: 300,
      webhookSecretRef: 'github-hook',
      changed: ['pollIntervalSeconds', 'webhookSecretRef'],
    });
    expect(changed[0]!.metadata.actor).toMatch(/\S/);

    // The same again records nothing; clearing a reference and changing the branch do.
    expect((await run(['sources', 'update', 'platform', '--interval', '5m'])).stdout).toBe(
      'source platform unchanged\n',
    );
    expect((await hub.events('platform')).filter((e) => e.type === 'SourceChanged')).toHaveLength(1);
    const cleared = await run(['sources', 'update', 'platform', '--no-webhook-secret-ref', '--branch', 'release']);
    expect(cleared.stdout).toBe(
      'source platform updated: branch main -> release, webhook secret github-hook -> none\n',
    );
    expect((await hub.events('platform')).filter((e) => e.type === 'SourceChanged')).toHaveLength(2);

    const nothing = await run(['sources', 'update', 'platform']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to change/);
    const bad = await run(['sources', 'update', 'platform', '--webhook-secret-ref', '../etc/passwd']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/webhookSecretRef/);
    const unknown = await run(['sources', 'update', 'nope', '--branch', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/source "nope" not found/);
  });
});

describe('flotilla apps status --wait against a hub playing a rollout', () => {
  let server: Server;
  let hubUrl: string;
  let polls = 0;
  const commit = 'c'.repeat(40);
  const cluster = (name: string, extra: object) => ({
    clusterId: `c${name.replace(/\D/g, '').padStart(16, '0')}`,
    clusterName: name,
    state: 'connected',
    desiredRevision: 2,
    desiredCommit: commit,
    desiredBundle: 'sha256:abc',
    appliedCommit: commit,
    appliedBundle: 'sha256:abc',
    sync: 'synced',
    health: 'healthy',
    drifted: false,
    driftedResources: 0,
    lastSyncAt: new Date().toISOString(),
    message: null,
    ...extra,
  });

  beforeAll(async () => {
    // Three polls to roll out: eu-1 syncs, then turns healthy; eu-2 is offline throughout.
    server = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer tok' || req.url !== '/api/v1/applications/web/status') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ statusCode: 404, message: 'no' }));
        return;
      }
      polls++;
      const eu1 =
        polls === 1
          ? cluster('eu-1', { appliedCommit: null, appliedBundle: null, sync: 'syncing', health: 'progressing' })
          : polls === 2
            ? cluster('eu-1', { health: 'progressing' })
            : cluster('eu-1', {});
      const eu2 = cluster('eu-2', { state: 'disconnected', health: 'unknown' });
      const clusters = [eu1, eu2];
      const body = {
        application: 'web',
        summary: {
          clusters: 2,
          synced: clusters.filter((c) => c.sync === 'synced').length,
          healthy: clusters.filter((c) => c.health === 'healthy').length,
          drifted: 0,
          offline: 1,
          failed: 0,
        },
        clusters,
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hubUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('shows progress on stderr and exits 0 once the connected cluster is synced and healthy', async () => {
    const result = await flotilla(['apps', 'status', 'web', '--wait', '--timeout', '2m'], {
      HOME: tmpdir(),
      FLOTILLA_HUB_URL: hubUrl,
      FLOTILLA_TOKEN: 'tok',
      FLOTILLA_CONFIG: path.join(tmpdir(), 'flotilla-apps-e2e-none.yaml'),
    });
    expect(result.code).toBe(0);
    expect(polls).toBe(3);
    expect(result.stderr).toBe(
      '1/2 synced, 0/2 healthy, 1 offline\n2/2 synced, 0/2 healthy, 1 offline\n2/2 synced, 1/2 healthy, 1 offline\n',
    );
    expect(result.stdout).toMatch(/^application web: 2\/2 synced, 1\/2 healthy, 1 offline$/m);
    expect(result.stdout).toMatch(/^eu-2\s+disconnected\s+synced\s+unknown/m);
  }, 120_000);
});
