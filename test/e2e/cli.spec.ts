import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { freePort } from '@flotilla/testing';
import { flotilla as flotillaProcess } from './cli-process';
import { RegisterClusterCommand } from '../../services/hub/src/clusters';
import {
  fakeUserPublicKey,
  startHubTestApp,
  testAdminToken,
  type HubTestApp,
} from '../../services/hub/src/testing/hub-test-app';

/**
 * The real `flotilla` binary (services/cli/bin/flotilla.js, a child process) against the
 * hub's HTTP app on a fresh database of the real Postgres. The hub runs in this Jest worker,
 * so the CLI is awaited asynchronously: a synchronous spawn would block the hub it talks to.
 */

describe('flotilla CLI against a running hub', () => {
  let hub: HubTestApp;
  let home: string;
  let configFile: string;
  // The real binary with this test's own config directory (HOME, XDG_CONFIG_HOME), unless overridden.
  const flotilla = (args: string[], env: Record<string, string> = {}, stdin = '') =>
    flotillaProcess(args, { HOME: home, XDG_CONFIG_HOME: path.join(home, 'xdg'), ...env }, stdin);

  /** Projections run in the background: a write made through the command bus shows up shortly. */
  const eventually = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 15_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within 15 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    hub = await startHubTestApp();
    home = mkdtempSync(path.join(tmpdir(), 'flotilla-cli-e2e-'));
    configFile = path.join(home, 'xdg', 'flotilla', 'config.yaml');
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('logs in only with a token the hub accepts, and saves it 0600', async () => {
    const refused = await flotilla(
      ['login', '--hub', hub.baseUrl, '--token-stdin'],
      {},
      'flt_api_000000000000_wrong\n',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the hub at ${hub.baseUrl} refused this token`);
    expect(existsSync(configFile)).toBe(false);

    const login = await flotilla(['login', '--hub', `${hub.baseUrl}/`, '--token-stdin'], {}, `${testAdminToken}\n`);
    expect(login).toMatchObject({ code: 0, stdout: `Logged in to ${hub.baseUrl} (saved in ${configFile})\n` });
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(configFile, 'utf8'))).toEqual({ hub: hub.baseUrl, token: testAdminToken });
    expect(login.stdout + login.stderr).not.toContain(testAdminToken);
  }, 120_000);

  it('lists no clusters, then the one registered with a token it created', async () => {
    const empty = await flotilla(['clusters', 'list']);
    expect(empty).toEqual({ code: 0, stdout: '', stderr: expect.stringContaining('No clusters registered yet') });
    expect(JSON.parse((await flotilla(['clusters', 'list', '-o', 'json'])).stdout)).toEqual([]);

    const created = await flotilla([
      'registration-tokens',
      'create',
      '--ttl',
      '10m',
      '--label',
      'env=prod',
      '-o',
      'json',
    ]);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout) as { token: string; expiresAt: string; labels: Record<string, string> };
    expect(token).toMatchObject({ token: expect.stringMatching(/^flt_reg_/), labels: { env: 'prod' } });
    const ttlMs = new Date(token.expiresAt).getTime() - hub.clock.now().getTime();
    expect(ttlMs).toBeGreaterThan(9 * 60_000);
    expect(ttlMs).toBeLessThanOrEqual(10 * 60_000);

    const human = await flotilla(['registration-tokens', 'create']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/FLOTILLA_AGENT_TOKEN='flt_reg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}'/);
    expect(human.stdout).toContain('npm run agent -- --in-cluster');

    await hub.commands.execute(
      new RegisterClusterCommand(token.token, 'eu-1', fakeUserPublicKey(7), '0.1.0', 'v1.20.2'),
    );
    await eventually(
      async () => (await hub.request('GET', '/api/v1/clusters')).body.items.length === 1,
      'the registered cluster in the list',
    );

    const table = await flotilla(['clusters', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+STATE\s+LAST SEEN\s+AGE\s+KUBERNETES\s+AGENT\s+LABELS\n/);
    expect(table.stdout).toMatch(/^eu-1\s+pending\s+never\s+\S+\s+v1\.20\.2\s+0\.1\.0\s+env=prod$/m);
    const yaml = parse((await flotilla(['clusters', 'list', '-l', 'env=prod', '-o', 'yaml'])).stdout);
    expect(yaml).toEqual([expect.objectContaining({ name: 'eu-1', labels: { env: 'prod' }, state: 'pending' })]);
    expect(parse((await flotilla(['clusters', 'list', '-l', 'env notin (prod)', '-o', 'yaml'])).stdout)).toEqual([]);
  }, 120_000);

  it('labels kubectl-style, and groups select by labels', async () => {
    const labeled = await flotilla(['clusters', 'label', 'eu-1', 'region=eu', 'tier=web']);
    expect(labeled).toMatchObject({ code: 0, stdout: 'cluster eu-1 labeled: env=prod,region=eu,tier=web\n' });
    const conflict = await flotilla(['clusters', 'label', 'eu-1', 'env=dev']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('cluster eu-1 already has env=prod: add --overwrite');
    expect((await flotilla(['clusters', 'label', 'eu-1', 'tier-'])).code).toBe(0);
    const invalid = await flotilla(['clusters', 'label', 'eu-1', 'owner=not valid!']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/the hub rejected .*labels\.owner/);

    const group = await flotilla([
      'cluster-groups',
      'create',
      'prod-eu',
      '--selector',
      'env=prod,region in (eu,us)',
      '--description',
      'EU production',
    ]);
    expect(group).toMatchObject({ code: 0, stdout: 'cluster group prod-eu created: selects 1 cluster(s) now\n' });
    const duplicate = await flotilla(['cluster-groups', 'create', 'prod-eu', '--selector', 'env=prod']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('conflict:');

    const got = parse((await flotilla(['cluster-groups', 'get', 'prod-eu', '-o', 'yaml'])).stdout);
    expect(got).toMatchObject({
      name: 'prod-eu',
      description: 'EU production',
      selector: {
        matchLabels: { env: 'prod' },
        matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'us'] }],
      },
      members: [expect.objectContaining({ name: 'eu-1' })],
    });
    const list = await flotilla(['cluster-groups', 'list']);
    expect(list.stdout).toMatch(/^prod-eu\s+env=prod,region in \(eu,us\)\s+1\s+\S+\s+EU production$/m);
    const cluster = JSON.parse((await flotilla(['clusters', 'get', 'eu-1', '-o', 'json'])).stdout);
    expect(cluster).toMatchObject({ name: 'eu-1', labels: { env: 'prod', region: 'eu' }, groups: ['prod-eu'] });
    expect((await flotilla(['clusters', 'get', cluster.id])).stdout).toMatch(/^groups:\s+prod-eu$/m);

    expect(await flotilla(['cluster-groups', 'delete', 'prod-eu'])).toMatchObject({
      code: 0,
      stdout: 'cluster group prod-eu deleted\n',
    });
    const gone = await flotilla(['cluster-groups', 'get', 'prod-eu']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('cluster group "prod-eu" not found');
    expect(JSON.parse((await flotilla(['cluster-groups', 'list', '-o', 'json'])).stdout)).toEqual([]);
  }, 180_000);

  it('manages API tokens; roles are enforced, and the environment overrides the saved token', async () => {
    const created = await flotilla(['api-tokens', 'create', 'ops', '--role', 'operator']);
    expect(created.code).toBe(0);
    const operatorToken = created.stdout.trim();
    expect(operatorToken).toMatch(/^flt_api_[0-9a-f]{12}_/);

    const asOperator = await flotilla(['clusters', 'deregister', 'eu-1'], { FLOTILLA_TOKEN: operatorToken });
    expect(asOperator.code).toBe(1);
    expect(asOperator.stderr).toContain('not allowed: this needs the admin role');
    const listed = JSON.parse((await flotilla(['api-tokens', 'list', '-o', 'json'])).stdout) as {
      name: string;
      revokedAt: string | null;
    }[];
    // The bootstrap admin (the hub's FLOTILLA_HUB_ADMIN_TOKEN) is listed too, so every actor can be looked up.
    expect(listed).toEqual([
      expect.objectContaining({ tokenId: 'bootstrap', name: 'admin', role: 'admin', revokedAt: null }),
      expect.objectContaining({ name: 'ops', role: 'operator', revokedAt: null }),
    ]);

    expect(await flotilla(['api-tokens', 'revoke', 'ops'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('revoked'),
    });
    const revoked = await flotilla(['clusters', 'list'], { FLOTILLA_TOKEN: operatorToken });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('the hub refused the token (unknown, revoked or wrong): run `flotilla login`');

    const deregistered = await flotilla(['clusters', 'deregister', 'eu-1']);
    expect(deregistered).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^cluster eu-1 \(c[0-9a-f]{16}\) deregistered/),
    });
    expect(JSON.parse((await flotilla(['clusters', 'list', '-o', 'json'])).stdout)).toEqual([]);
    const all = parse((await flotilla(['clusters', 'list', '-A', '-o', 'yaml'])).stdout);
    expect(all).toEqual([expect.objectContaining({ name: 'eu-1', state: 'deregistered' })]);
  }, 180_000);

  it('exits 2 with the relevant usage on usage errors, touching no hub', async () => {
    const missing = await flotilla(['clusters', 'label', 'eu-1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'changes'");
    expect(missing.stderr).toContain('Usage: flotilla clusters label');
    const unknown = await flotilla(['clusterz', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'clusterz'");
    expect((await flotilla(['cluster-groups', 'list', '--output', 'xml'])).code).toBe(2);
  }, 120_000);

  it('exits 1 saying what to do when the token is bad or no hub answers', async () => {
    const bad = await flotilla(['clusters', 'list', '--token', 'not-a-token']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the hub refused the token');

    const port = await freePort();
    const down = await flotilla(['cluster-groups', 'list'], { FLOTILLA_HUB_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      `no hub answers at http://127.0.0.1:${port} (connection refused): is it running? set --hub or FLOTILLA_HUB_URL`,
    );

    const nothing = await flotilla(['clusters', 'list'], { XDG_CONFIG_HOME: path.join(home, 'empty') });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('no hub configured: run `flotilla login --hub URL`');
  }, 120_000);
});
