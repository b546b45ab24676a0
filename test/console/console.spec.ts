import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually, kubectlEditConfigMap, startGitopsFleet, type GitopsFleet } from '../e2e/gitops-harness';

// The web console in a real browser (Debian's chromium driven by playwright-core) against a
// real hub process (Postgres, NATS) with three emulated clusters and their agent processes.
// Every assertion compares the page with the hub's REST answer for the same question. The
// screenshots it takes are the ones in docs/console/ that the README shows.
jest.setTimeout(240_000);

const root = path.resolve(__dirname, '../..');
const shots = path.join(root, 'docs/console');
const chromiumPath = '/usr/bin/chromium';
const settleMs = 60_000;

const namespaceYaml = `apiVersion: v1
kind: Namespace
metadata:
  name: web
`;
const configYaml = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: web
data:
  greeting: hello
`;
const metricsYaml = `apiVersion: v1
kind: ConfigMap
metadata:
  name: metrics-config
  namespace: flotilla-system
data:
  scrape: 30s
`;
const application = (name: string, appPath: string, selector: string) => `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: ${name}
spec:
  source: platform
  path: ${appPath}
  targets:
    - selector:
${selector}
  syncPolicy:
    automated: true
`;

/** Debian's chromium, installed when missing (CI starts from a machine that may not have it). */
function ensureChromium(): void {
  if (existsSync(chromiumPath)) return;
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(`chromium is missing and could not be installed: run \`apt-get install -y chromium\` as root`, {
      cause: err,
    });
  }
}

describe('the web console (chromium, a real hub, three emulated clusters)', () => {
  let g: GitopsFleet;
  let browser: Browser;
  let viewerToken: string;
  const contexts: BrowserContext[] = [];

  async function signedIn(token: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 820 }, colorScheme });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${g.fleet.hubUrl}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('role').waitFor();
    return page;
  }

  const shot = (page: Page, name: string, fullPage = true) =>
    page.screenshot({ path: path.join(shots, `${name}.png`), fullPage });

  beforeAll(async () => {
    ensureChromium();
    // The hub serves services/console/dist when it is there: build it from this tree's sources.
    execFileSync('npm', ['run', 'build', '--silent', '-w', '@flotilla/console'], { cwd: root, stdio: 'inherit' });
    mkdirSync(shots, { recursive: true });
    // Playwright's launch() gives chromium a new empty --user-data-dir of its own (it refuses one
    // in args); the browser starts first so that a fleet that fails to start is never left behind.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    g = await startGitopsFleet([
      { name: 'eu-1', labels: { env: 'prod', region: 'eu' }, api: 'emulator' },
      { name: 'us-1', labels: { env: 'prod', region: 'us' }, api: 'emulator' },
      { name: 'dev-1', labels: { env: 'dev', region: 'eu' }, api: 'emulator' },
    ]);

    await g.git.commit('web and metrics', {
      'apps/web/namespace.yaml': namespaceYaml,
      'apps/web/config.yaml': configYaml,
      'apps/metrics/config.yaml': metricsYaml,
    });
    const added = await g.fleet.api('POST', '/api/v1/sources', {
      name: g.sourceName,
      url: g.git.url,
      pollIntervalSeconds: 3600,
      webhookSecretRef: g.webhookSecretRef,
    });
    expect(added.status).toBe(201);
    // Polled once at once when added (then hourly): the applications come after its commit.
    await eventually(
      async () => ((await g.fleet.events({ types: ['CommitObserved'] })).length > 0 ? true : undefined),
      settleMs,
      'CommitObserved',
    );
    await g.grantPolicy('web', { namespaces: ['web'], clusterScopedKinds: ['Namespace'] }); // its own Namespace, its objects there
    await g.grantPolicy('metrics', { namespaces: ['flotilla-system'] });
    const web = await g.putApplication('web', application('web', 'apps/web', '        matchLabels: { env: prod }'));
    expect(web.status).toBeLessThan(300);
    const metrics = await g.putApplication(
      'metrics',
      application('metrics', 'apps/metrics', '        matchExpressions: [{ key: env, operator: Exists }]'),
    );
    expect(metrics.status).toBeLessThan(300);
    for (const [name, clusters] of [
      ['web', 2],
      ['metrics', 3],
    ] as const) {
      let last: unknown;
      await eventually(
        async () => {
          const { body } = await g.fleet.api('GET', `/api/v1/applications/${name}/status`);
          last = body;
          return body?.summary?.synced === clusters && body.summary.healthy === clusters ? true : undefined;
        },
        settleMs,
        `${name} synced and healthy on ${clusters} clusters`,
      ).catch(async (err: Error) => {
        const failures = (await g.allEvents()).map((e) => `${e.type} ${JSON.stringify(e.data).slice(0, 300)}`);
        throw new Error(`${err.message}\nlast status: ${JSON.stringify(last)}\n${failures.join('\n').slice(-6000)}`);
      });
    }

    // dev-1's agent stops: the hub marks it offline after the missed heartbeats.
    await g.clusters['dev-1']!.agent.stop();
    await eventually(
      async () =>
        (await g.fleet.api('GET', `/api/v1/clusters/${g.clusters['dev-1']!.id}`)).body.state === 'disconnected'
          ? true
          : undefined,
      settleMs,
      'dev-1 offline',
    );
    const created = await g.fleet.api('POST', '/api/v1/api-tokens', { name: 'console-viewer', role: 'viewer' });
    expect(created.status).toBe(201);
    viewerToken = created.body.token;
  }, 240_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await g?.close();
  }, 120_000);

  it('signs in with a token, refuses a wrong one, and shows the fleet with the counts the REST API gives', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${g.fleet.hubUrl}/`);
    await shot(page, 'sign-in');
    await page.getByLabel('API token').fill('flt_api_nope_nope');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), /does not know this token/);

    const admin = await signedIn(g.fleet.adminToken);
    expect(await admin.getByTestId('role').textContent()).toBe('admin');
    await admin.getByTestId('matrix').waitFor();
    const clusters = (await g.fleet.api('GET', '/api/v1/clusters')).body.items as Array<{ state: string }>;
    const count = async (id: string) => Number(await admin.getByTestId(id).locator('.stat-value').textContent());
    expect(await count('count-clusters')).toBe(clusters.length);
    expect(await count('count-clusters')).toBe(3);
    expect(await count('count-connected')).toBe(clusters.filter((c) => c.state === 'connected').length);
    expect(await count('count-offline')).toBe(1);
    expect(await count('count-applications')).toBe(2);
    // Five placements: web on eu-1 and us-1, metrics on all three; dev-1's is offline, not synced.
    expect(await admin.getByTestId('cell').count()).toBe(5);
    expect(await admin.getByTestId('cells-offline').getAttribute('data-count')).toBe('1');
    expect(await admin.getByTestId('cells-synced').getAttribute('data-count')).toBe('4');
    const dev = admin.locator('[data-testid=cluster-row][data-cluster=dev-1]');
    expect(await dev.getAttribute('data-state')).toBe('disconnected');
    expect(await dev.getByTestId('cell').getAttribute('data-state')).toBe('offline');
    await expectText(dev, /Offline/);
    await shot(admin, 'fleet');

    // The label selector filter: the hub's ?selector= answers, the page shows the same clusters.
    await admin.getByLabel('Label selector').fill('env=prod,region in (eu)');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await eventually(
      async () => ((await admin.getByTestId('cluster-row').count()) === 1 ? true : undefined),
      10_000,
      'the filtered matrix',
    );
    const filtered = (
      await g.fleet.api('GET', `/api/v1/clusters?selector=${encodeURIComponent('env=prod,region in (eu)')}`)
    ).body.items as Array<{ name: string }>;
    expect(await admin.getByTestId('cluster-row').getAttribute('data-cluster')).toBe(filtered[0]!.name);

    const dark = await signedIn(g.fleet.adminToken, 'dark');
    await dark.getByTestId('matrix').waitFor();
    await shot(dark, 'fleet-dark');
  });

  it('shows a drift made by hand on a cluster within seconds, with its field, desired and live', async () => {
    const page = await signedIn(g.fleet.adminToken);
    await page.goto(`${g.fleet.hubUrl}/#/drift`);
    await page.getByText('No drift').waitFor();
    const editedAt = Date.now();
    await kubectlEditConfigMap(g.clusters['eu-1']!, 'web', 'web-config', { data: { greeting: 'edited by hand' } });
    // The page refreshes by itself (every 10 s while visible).
    const row = page.locator('[data-testid=drift-row][data-field="/data/greeting"]');
    await row.waitFor({ timeout: 30_000 });
    console.log(`console: drift shown ${Date.now() - editedAt} ms after the edit`);
    await expectText(row.locator('.desired'), /^hello$/);
    await expectText(row.locator('.live'), /^edited by hand$/);
    await shot(page, 'drift');

    await page.goto(`${g.fleet.hubUrl}/#/apps/web`);
    await page.getByTestId('app-clusters-table').waitFor();
    const status = (await g.fleet.api('GET', '/api/v1/applications/web/status')).body;
    for (const c of status.clusters as Array<{ clusterName: string; appliedCommit: string }>) {
      await expectText(
        page.locator(`[data-testid=app-cluster-row][data-cluster=${c.clusterName}]`),
        new RegExp(c.appliedCommit.slice(0, 8)),
      );
    }
    await page.getByTestId('drift-table').waitFor();
    await shot(page, 'application');
  });

  it('the history filter gives the same events as the REST API', async () => {
    const page = await signedIn(g.fleet.adminToken);
    await page.goto(`${g.fleet.hubUrl}/#/history`);
    await page.getByTestId('history-table').waitFor();
    await shot(page, 'history', false);
    const type = 'SyncSucceeded,ClusterDisconnected';
    await page.getByLabel('Event types').fill(type);
    await page.getByLabel('Application').fill('metrics');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/application=metrics/);
    const rest = (await g.fleet.api('GET', `/api/v1/history?type=${type}&application=metrics&limit=50`)).body
      .items as Array<{ position: number; type: string }>;
    expect(rest.length).toBeGreaterThan(0);
    await eventually(
      async () => ((await page.getByTestId('history-row').count()) === rest.length ? true : undefined),
      10_000,
      `${rest.length} rows`,
    );
    const shown = await page
      .getByTestId('history-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));
    expect(shown).toEqual(rest.map((e) => e.position));
  });

  it('a viewer sees no button that changes anything; an admin does', async () => {
    const admin = await signedIn(g.fleet.adminToken);
    await admin.goto(`${g.fleet.hubUrl}/#/apps/web`);
    await admin.getByTestId('app-clusters-table').waitFor();
    expect(await admin.getByRole('button', { name: 'Pin' }).count()).toBe(1);

    const viewer = await signedIn(viewerToken);
    expect(await viewer.getByTestId('role').textContent()).toBe('viewer');
    await viewer.goto(`${g.fleet.hubUrl}/#/apps/web`);
    await viewer.getByTestId('app-clusters-table').waitFor();
    expect(await viewer.getByRole('button', { name: 'Pin' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /Sync|Unpin/ }).count()).toBe(0);
    expect(await viewer.getByTestId('operator-actions').count()).toBe(0);
  });
});

async function expectText(locator: ReturnType<Page['locator']>, pattern: RegExp): Promise<void> {
  await eventually(
    async () => (pattern.test((await locator.first().textContent()) ?? '') ? true : undefined),
    10_000,
    `text ${pattern}`,
  );
}
