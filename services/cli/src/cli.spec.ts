import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { runCli } from './cli';
import type { CliIo } from './cli-io';
import type { FetchFn } from './hub/hub-client';

/**
 * The command tree in-process: argument parsing, exit codes and the requests each verb
 * sends, with the hub replaced by a recording function (the real hub is in test/e2e/cli.spec.ts).
 */
interface Sent {
  method: string;
  url: URL;
  body: unknown;
  authorization: string | null;
}

function harness(
  answer: (sent: Sent) => { status: number; body?: unknown } = () => ({ status: 200, body: { items: [] } }),
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-cli-spec-'));
  const sent: Sent[] = [];
  let stdout = '';
  let stderr = '';
  const fetchFn: FetchFn = async (input, init) => {
    const headers = new Headers(init.headers);
    const request: Sent = {
      method: init.method ?? 'GET',
      url: new URL(input),
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      authorization: headers.get('authorization'),
    };
    sent.push(request);
    const { status, body } = answer(request);
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  };
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: process.stdin,
    env: {
      FLOTILLA_CONFIG: path.join(dir, 'config.yaml'),
      FLOTILLA_HUB_URL: 'http://hub.test:8080',
      FLOTILLA_TOKEN: 'tok',
    },
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
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const cluster = (name: string, labels: Record<string, string>, extra: object = {}) => ({
  id: `c${name.replace(/\W/g, '')}`,
  name,
  labels,
  state: 'connected',
  lastSeenAt: '2026-11-26T11:59:50Z',
  stateChangedAt: null,
  agentVersion: '0.1.0',
  kubernetesVersion: 'v1.20.2',
  publicKey: 'UKEY',
  registeredAt: '2026-11-20T12:00:00Z',
  deregisteredAt: null,
  ...extra,
});

describe('flotilla command line', () => {
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));
  const make = (...args: Parameters<typeof harness>) => {
    const h = harness(...args);
    cleanups.push(h.cleanup);
    return h;
  };

  describe('usage errors exit 2 and print the relevant usage', () => {
    it.each([
      [['nope'], /unknown command 'nope'/],
      [['clusters', 'lsit'], /unknown command 'lsit'[\s\S]*Did you mean list\?/],
      [['clusters', 'list', '--bogus'], /unknown option '--bogus'/],
      [['clusters', 'get'], /missing required argument 'cluster'/],
      [['cluster-groups', 'create', 'web'], /required option '--selector <selector>' not specified/],
      [['-o', 'xml', 'clusters', 'list'], /Allowed choices are table, json, yaml/],
      [['api-tokens', 'create', 'ci', '--role', 'root'], /Allowed choices are viewer, operator, admin/],
      [['clusters', 'label', 'eu-1', 'env'], /not a label change[\s\S]*Usage: flotilla clusters label/],
      [['cluster-groups', 'create', 'web', '--selector', 'env in prod'], /expected "\(" after "env in"/],
      [['registration-tokens', 'create', '--ttl', 'soon'], /--ttl "soon": expected a duration/],
      [['clusters', 'get', 'a', 'b'], /too many arguments/],
    ])('%j', async (argv, message) => {
      const h = make();
      const result = await h.run(...argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/Usage: flotilla/);
      expect(h.sent).toHaveLength(0);
    });

    it('a noun without a verb prints its verbs and exits 2; --help exits 0 on stdout', async () => {
      const h = make();
      const bare = await h.run('clusters');
      expect(bare.code).toBe(2);
      expect(bare.stderr).toMatch(/list\|ls[\s\S]*get[\s\S]*label[\s\S]*deregister/);
      const help = await h.run('clusters', 'label', '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('flotilla clusters label eu-1 env=prod region-');
    });

    it('lists every verb in the help, and refuses an unknown one with a usage error', async () => {
      const h = make();
      const help = await h.run('--help');
      expect(help.code).toBe(0);
      for (const verb of [
        'login',
        'clusters',
        'registration-tokens',
        'cluster-groups',
        'api-tokens',
        'sources',
        'apps',
        'version',
      ]) {
        expect(help.stdout).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
      }
      expect((await h.run('rollout')).code).toBe(2);
    });
  });

  it('takes global options anywhere and sends the token', async () => {
    const h = make(() => ({ status: 200, body: { items: [cluster('eu-1', { env: 'prod' })] } }));
    const result = await h.run('clusters', 'list', '-o', 'json', '--hub', 'http://other:9/', '--token', 'flag-token');
    expect(result.code).toBe(0);
    expect(h.sent[0]!.url.href).toBe('http://other:9/api/v1/clusters');
    expect(h.sent[0]!.authorization).toBe('Bearer flag-token');
    expect(JSON.parse(result.stdout)).toEqual([expect.objectContaining({ name: 'eu-1' })]);
  });

  it('sends the whole -l selector to the hub, which filters; a syntax error never reaches it', async () => {
    const h = make(() => ({ status: 200, body: { items: [cluster('eu-1', { env: 'prod', region: 'eu' })] } }));
    const result = await h.run(
      'clusters',
      'list',
      '-l',
      'env=prod, region in (eu,us),tier!=db,!legacy',
      '-o',
      'yaml',
      '-A',
    );
    expect(h.sent[0]!.url.searchParams.get('selector')).toBe('env=prod,region in (eu,us),tier notin (db),!legacy');
    expect(h.sent[0]!.url.searchParams.get('includeDeregistered')).toBe('true');
    expect((parse(result.stdout) as { name: string }[]).map((c) => c.name)).toEqual(['eu-1']);
    const bad = make();
    expect(await bad.run('clusters', 'list', '-l', 'region in (eu')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('expected "," or ")"'),
    });
    expect(bad.sent).toHaveLength(0);
  });

  it('prints a table with ages, and a note on stderr when the list is empty', async () => {
    const h = make(() => ({ status: 200, body: { items: [cluster('eu-1', { env: 'prod' })] } }));
    const table = await h.run('clusters', 'list');
    expect(table.stdout).toBe(
      'NAME   STATE       LAST SEEN   AGE   KUBERNETES   AGENT   LABELS\n' +
        'eu-1   connected   10s         6d    v1.20.2      0.1.0   env=prod\n',
    );
    const empty = make();
    const none = await empty.run('clusters', 'list');
    expect(none).toEqual({ code: 0, stdout: '', stderr: expect.stringContaining('No clusters registered yet') });
    expect((await empty.run('clusters', 'list', '-o', 'json')).stdout).toBe('[]\n');
  });

  it('labels by name: reads the cluster, applies the changes, replaces the set', async () => {
    const h = make((sent) =>
      sent.method === 'GET'
        ? { status: 200, body: { items: [cluster('eu-1', { env: 'dev', region: 'eu', team: 'a' })] } }
        : { status: 200, body: cluster('eu-1', (sent.body as { labels: Record<string, string> }).labels) },
    );
    const refused = await h.run('clusters', 'label', 'eu-1', 'env=prod');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cluster eu-1 already has env=dev: add --overwrite');
    const result = await h.run('clusters', 'label', 'eu-1', 'env=prod', 'region-', '--overwrite');
    expect(result).toMatchObject({ code: 0, stdout: 'cluster eu-1 labeled: env=prod,team=a\n' });
    const put = h.sent.find((s) => s.method === 'PUT')!;
    expect(put.url.pathname).toBe('/api/v1/clusters/ceu1/labels');
    expect(put.body).toEqual({ labels: { env: 'prod', team: 'a' } });
  });

  it('names the cluster it cannot find, and asks for the id when a name is ambiguous', async () => {
    const h = make(() => ({
      status: 200,
      body: { items: [cluster('twin', {}, { id: 'c1' }), cluster('twin', {}, { id: 'c2' })] },
    }));
    const missing = await h.run('clusters', 'get', 'eu-9');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cluster "eu-9" not found');
    const twin = await h.run('clusters', 'deregister', 'twin');
    expect(twin.code).toBe(2);
    expect(twin.stderr).toContain('2 clusters are named "twin" (c1, c2): give the id');
  });

  it('creates registration tokens with --ttl and --label, and shows how to start the agent', async () => {
    const h = make((sent) => ({
      status: 201,
      body: {
        tokenId: 'abc',
        token: 'flt_reg_abc_secret',
        expiresAt: '2026-11-26T13:00:00Z',
        labels: (sent.body as { labels: object }).labels,
        bootstrapCreds: '-----BEGIN NATS USER JWT-----\nxyz\n',
      },
    }));
    const result = await h.run(
      'registration-tokens',
      'create',
      '--ttl',
      '1h30m',
      '--label',
      'env=prod',
      '--label',
      'region=eu',
    );
    expect(result.code).toBe(0);
    expect(h.sent[0]!.body).toEqual({ labels: { env: 'prod', region: 'eu' }, ttlSeconds: 5400 });
    expect(result.stdout).toContain("FLOTILLA_AGENT_TOKEN='flt_reg_abc_secret'");
    expect(result.stdout).toContain('-----BEGIN NATS USER JWT-----');
    expect(result.stdout).toContain('FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE=bootstrap.creds');
    expect(result.stdout).toContain('Labels for the cluster: env=prod,region=eu');
  });

  it('creates a group from a set-based selector', async () => {
    const h = make((sent) => ({
      status: 201,
      body: {
        ...(sent.body as object),
        description: '',
        createdAt: '2026-11-26T12:00:00Z',
        createdBy: 'token:x',
        members: [],
      },
    }));
    const result = await h.run(
      'cluster-groups',
      'create',
      'eu',
      '--selector',
      'env=prod,region in (eu,us)',
      '--description',
      'EU',
    );
    expect(result).toMatchObject({ code: 0, stdout: 'cluster group eu created: selects 0 cluster(s) now\n' });
    expect(h.sent[0]!.body).toEqual({
      name: 'eu',
      description: 'EU',
      selector: {
        matchLabels: { env: 'prod' },
        matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'us'] }],
      },
    });
  });

  it('prints only the new API token on stdout, so $(...) captures it', async () => {
    const h = make(() => ({
      status: 201,
      body: { tokenId: 't1', name: 'ci', role: 'operator', token: 'flt_api_t1_s' },
    }));
    const result = await h.run('api-tokens', 'create', 'ci', '--role', 'operator');
    expect(result.stdout).toBe('flt_api_t1_s\n');
    expect(result.stderr).toContain('shown only this once');
  });

  it('revokes an API token by name among the active ones', async () => {
    const tokens = [
      { tokenId: 'old', name: 'ci', role: 'viewer', createdAt: '', createdBy: 'x', revokedAt: '2026-11-01T00:00:00Z' },
      { tokenId: 'new', name: 'ci', role: 'viewer', createdAt: '', createdBy: 'x', revokedAt: null },
    ];
    const h = make((sent) => (sent.method === 'GET' ? { status: 200, body: { items: tokens } } : { status: 204 }));
    const result = await h.run('api-tokens', 'revoke', 'ci');
    expect(result).toMatchObject({ code: 0, stdout: 'API token ci (new) revoked\n' });
    expect(h.sent[1]).toMatchObject({ method: 'DELETE' });
    expect(h.sent[1]!.url.pathname).toBe('/api/v1/api-tokens/new');
  });

  it('maps hub errors to advice and exit 1', async () => {
    const h = make(() => ({
      status: 401,
      body: { statusCode: 401, code: 'token-invalid', message: 'the token is unknown' },
    }));
    const result = await h.run('cluster-groups', 'list');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the hub refused the token (unknown, revoked or wrong): run `flotilla login`');
    const gone = make(() => ({ status: 404, body: { statusCode: 404, message: 'cluster group "web" not found' } }));
    expect((await gone.run('cluster-groups', 'delete', 'web')).stderr).toContain(
      'error: cluster group "web" not found',
    );
  });

  it('clusters join: a token with the labels, then ONE install command (kubectl apply, or helm with --helm)', async () => {
    const h = make((sent) =>
      sent.method === 'POST'
        ? {
            status: 201,
            body: {
              tokenId: 't1',
              token: 'flt_reg_secret',
              expiresAt: '2026-11-26T13:00:00Z',
              labels: { env: 'prod', region: 'eu' },
              bootstrapCreds: 'CREDS',
            },
          }
        : { status: 200, body: { items: [] } },
    );
    expect(await h.run('clusters', 'join', 'eu-1', '-l', 'env=prod,region=eu')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--nats-url'),
    });
    const printed = await h.run(
      'clusters',
      'join',
      'eu-1',
      '-l',
      'env=prod,region=eu',
      '--nats-url',
      'nats://hub:4222',
      '--manage-namespaces',
      'shop',
    );
    expect(printed.code).toBe(0);
    expect(h.sent.at(-1)!.body).toEqual({ labels: { env: 'prod', region: 'eu' } });
    expect(printed.stdout).toMatch(
      /^kubectl apply --server-side --field-manager=flotilla-join -f - <<'EOF'\n[\s\S]*\nEOF\n$/,
    );
    const objects = printed.stdout
      .split('\n')
      .slice(1, -2)
      .join('\n')
      .split(/^---$/m)
      .map((d) => parse(d));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain('RoleBinding/flotilla-agent-reconciler');
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
      name: 'FLOTILLA_AGENT_CLUSTER_NAME',
      value: 'eu-1',
    });
    expect(objects.find((o) => o.kind === 'Secret').stringData).toEqual({
      token: 'flt_reg_secret',
      'bootstrap.creds': 'CREDS',
    });
    const helm = await h.run(
      'clusters',
      'join',
      'eu-1',
      '--nats-url',
      'nats://hub:4222',
      '--helm',
      'deploy/charts/flotilla-agent',
    );
    expect(helm.stdout).toMatch(
      /^helm upgrade --install flotilla-agent deploy\/charts\/flotilla-agent --namespace flotilla-system --create-namespace --values - <<'EOF'\n/,
    );
    expect(parse(helm.stdout.split('\n').slice(1, -2).join('\n'))).toMatchObject({
      clusterName: 'eu-1',
      registration: { token: 'flt_reg_secret' },
    });
  });
});
