import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { flotilla, type CliResult } from './cli-process';
import { eventually, readConfigMap, startGitopsFleet, type GitopsCluster, type GitopsFleet } from './gitops-harness';

// Issue 12 item 5 from the CLI's point of view (real hub, an agent on the real kube-apiserver,
// the real `flotilla` binary): an object made by hand is a conflict, reported per resource and
// left alone (a later commit that drops it from git does not delete it); it is taken over only
// when the object in git says `flotilla.dev/adopt: "true"` or the application says
// `syncPolicy.adopt: true`; and a second application declaring an object the first one already
// runs on the cluster fails to render there, naming the first. The `it`s build on each other.
jest.setTimeout(300_000);

const settleMs = 120_000;

const configMap = (name: string, data: Record<string, string>, annotations?: Record<string, string>) =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: shop
${
  annotations
    ? `  annotations:\n${Object.entries(annotations)
        .map(([k, v]) => `    ${k}: "${v}"\n`)
        .join('')}`
    : ''
}data:
${Object.entries(data)
  .map(([k, v]) => `  ${k}: "${v}"`)
  .join('\n')}
`;

const applicationYaml = (name: string, appPath: string, adopt?: boolean) => `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: ${name}
spec:
  source: platform
  path: ${appPath}
  targets:
    - selector:
        matchLabels: { env: prod }
      # Its objects live in shop: the object policy's default allows the target namespace only.
      namespace: shop
  syncPolicy:
    automated: true
    prune: true
${adopt === undefined ? '' : `    adopt: ${adopt}\n`}`;

const notOwned = (name: string) =>
  new RegExp(
    `^ConfigMap\\s+shop\\s+${name}\\s+failed\\s+degraded\\s+-\\s+NotOwned: ConfigMap shop/${name} exists and was not created by Flotilla; left alone\\. To take it over, set syncPolicy\\.adopt: true on application shop or annotate the object in git with flotilla\\.dev/adopt: "true"$`,
    'm',
  );

describe('adoption: objects that exist and are not the application’s (real hub, agent, kube-apiserver, CLI)', () => {
  let g: GitopsFleet;
  let eu: GitopsCluster;
  let home: string;
  let env: Record<string, string>;
  const run = (...args: string[]): Promise<CliResult> => flotilla(args, env);
  const handMade = async (name: string) => {
    await eu.core.createNamespacedConfigMap({
      namespace: 'shop',
      body: { metadata: { name, namespace: 'shop' }, data: { owner: 'a person' } },
    });
  };
  const commitAndWaitFor = async (message: string, files: Record<string, string | null>, view: RegExp[]) => {
    const sha = await g.git.commit(message, files);
    expect(await g.webhook({ after: sha })).toBe(202);
    return eventually(
      async () => {
        const r = await run('apps', 'status', 'shop', '--cluster', 'eu-real');
        return r.stdout.includes(`at ${sha.slice(0, 12)}`) && view.every((v) => v.test(r.stdout)) ? r : undefined;
      },
      settleMs,
      `the sync of "${message}" in apps status --cluster`,
    );
  };

  beforeAll(async () => {
    g = await startGitopsFleet([{ name: 'eu-real', labels: { env: 'prod' }, api: 'kube-apiserver' }]);
    eu = g.clusters['eu-real']!;
    home = mkdtempSync(path.join(tmpdir(), 'flotilla-adoption-'));
    env = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'xdg'),
      FLOTILLA_HUB_URL: g.fleet.hubUrl,
      FLOTILLA_TOKEN: g.fleet.adminToken,
    };
    // What a person made before the application existed.
    await eu.core.createNamespace({ body: { metadata: { name: 'shop' } } });
    await handMade('settings');
    await handMade('legacy');
  }, 300_000);
  afterAll(async () => {
    await g?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('a hand-made object is a conflict, reported per resource and left alone; --wait exits 1', async () => {
    const first = await g.git.commit('shop', {
      'apps/shop/settings.yaml': configMap('settings', { greeting: 'from git' }),
      'apps/shop/legacy.yaml': configMap('legacy', { greeting: 'from git' }),
      'apps/shop/extra.yaml': configMap('extra', { greeting: 'from git' }),
    });
    await g.addSource(first, settleMs);
    expect((await g.putApplication('shop', applicationYaml('shop', 'apps/shop'))).status).toBe(201);

    const view = await eventually(
      async () => {
        const r = await run('apps', 'status', 'shop', '--cluster', 'eu-real');
        return notOwned('settings').test(r.stdout) ? r : undefined;
      },
      settleMs,
      'settings reported as not owned',
    );
    expect(view.code).toBe(0);
    expect(view.stdout).toMatch(/^application shop on cluster eu-real: last sync failed at [0-9a-f]{12} /m);
    expect(view.stdout).toMatch(notOwned('legacy'));
    expect(view.stdout).toMatch(/^ConfigMap\s+shop\s+extra\s+created\s+healthy\s+-\s+-$/m);

    // Left alone: the person's data, no mark of ours.
    for (const name of ['settings', 'legacy']) {
      const live = await readConfigMap(eu, 'shop', name);
      expect(live?.data).toEqual({ owner: 'a person' });
      expect(live?.metadata?.labels?.['flotilla.dev/application']).toBeUndefined();
    }
    const wait = await run('apps', 'status', 'shop', '--wait', '--timeout', '5s');
    expect(wait.code).toBe(1);
    expect(wait.stderr).toMatch(/eu-real: .*2 of 3 resources failed: ConfigMap shop\/legacy: NotOwned: /);
  });

  it('dropping a conflicting object from git deletes nothing; the adopt annotation takes one object over', async () => {
    const view = await commitAndWaitFor(
      'shop: legacy out of git, settings adopted',
      {
        'apps/shop/legacy.yaml': null,
        'apps/shop/settings.yaml': configMap('settings', { greeting: 'from git' }, { 'flotilla.dev/adopt': 'true' }),
      },
      [/^ConfigMap\s+shop\s+settings\s+configured\s+healthy\s/m],
    );
    expect(view.stdout).toMatch(/last sync succeeded at /);
    expect(view.stdout).not.toMatch(/legacy/);
    const settings = await readConfigMap(eu, 'shop', 'settings');
    // Server-side apply: git's field is set, the person's stays (it is not git's to remove).
    expect(settings?.data).toEqual({ owner: 'a person', greeting: 'from git' });
    expect(settings?.metadata?.labels?.['flotilla.dev/application']).toBe('shop');
    // The rollback of an object the application never owned leaves it in place (prune: true).
    expect((await readConfigMap(eu, 'shop', 'legacy'))?.data).toEqual({ owner: 'a person' });
  });

  it('syncPolicy.adopt: true takes over every such object; --wait exits 0', async () => {
    await commitAndWaitFor(
      'shop: legacy back in git',
      { 'apps/shop/legacy.yaml': configMap('legacy', { greeting: 'from git' }) },
      [notOwned('legacy')],
    );
    expect((await g.putApplication('shop', applicationYaml('shop', 'apps/shop', true))).status).toBe(200);
    const wait = await run('apps', 'status', 'shop', '--wait', '--timeout', '100s');
    expect(wait.code).toBe(0);
    const view = await run('apps', 'status', 'shop', '--cluster', 'eu-real');
    expect(view.stdout).toMatch(/^ConfigMap\s+shop\s+legacy\s+configured\s+healthy\s+-\s+-$/m);
    const legacy = await readConfigMap(eu, 'shop', 'legacy');
    expect(legacy?.data).toEqual({ owner: 'a person', greeting: 'from git' });
    expect(legacy?.metadata?.labels?.['flotilla.dev/application']).toBe('shop');
    const policy = await run('apps', 'get', 'shop');
    expect(policy.stdout).toMatch(/adopt/);
  });

  it('a second application declaring an object the first runs on the cluster fails to render, naming the first', async () => {
    const sha = await g.git.commit('copy: a second application with shop/extra', {
      'apps/copy/extra.yaml': configMap('extra', { greeting: 'from the copy' }),
      'apps/copy/own.yaml': configMap('copy-own', { greeting: 'from the copy' }),
    });
    expect(await g.webhook({ after: sha })).toBe(202);
    await eventually(
      async () =>
        (await g.fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === sha)
          ? true
          : undefined,
      settleMs,
      'CommitObserved of the copy commit',
    );
    expect((await g.putApplication('copy', applicationYaml('copy', 'apps/copy'))).status).toBe(201);
    const reason =
      'ConfigMap shop/extra is already managed on cluster eu-real by application shop: two applications cannot manage one object; remove it from one of them';
    const status = await eventually(
      async () => {
        const r = await run('apps', 'status', 'copy');
        return r.stdout.includes('FAILED') ? r : undefined;
      },
      settleMs,
      'the render failure of copy',
    );
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `render of ${sha.slice(0, 12)} FAILED: it failed to render for cluster eu-real: object-conflict: ${reason}`,
    );
    const wait = await run('apps', 'status', 'copy', '--wait', '--timeout', '10s');
    expect(wait.code).toBe(1);
    expect(wait.stderr).toContain(`application copy cannot roll out ${sha.slice(0, 12)}`);
    expect(wait.stderr).toContain(reason);
    // All or nothing: not even its own object reached the cluster; the first application keeps its object.
    expect(await readConfigMap(eu, 'shop', 'copy-own')).toBeUndefined();
    expect((await readConfigMap(eu, 'shop', 'extra'))?.data).toEqual({ greeting: 'from git' });
    const history = await run('history', '--application', 'copy', '--type', 'RenderFailed', '-o', 'yaml');
    expect(history.code).toBe(0);
    expect(history.stdout).toContain('code: object-conflict');
  });

  it('createNamespace: the agent creates the missing target namespace; without it the apply fails with NotFound', async () => {
    const appYaml = (name: string, namespace: string, create: boolean) => `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: ${name}
spec:
  source: platform
  path: apps/plain
  targets:
    - selector:
        matchLabels: { env: prod }
      namespace: ${namespace}
  syncPolicy:
    automated: true
    createNamespace: ${create}
`;
    const sha = await g.git.commit('plain: a ConfigMap without a namespace', {
      'apps/plain/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata: { a: "1" }\n',
    });
    expect(await g.webhook({ after: sha })).toBe(202);
    await eventually(
      async () =>
        (await g.fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === sha)
          ? true
          : undefined,
      settleMs,
      'CommitObserved of the plain commit',
    );
    expect((await g.putApplication('made', appYaml('made', 'made-by-agent', true))).status).toBe(201);
    expect((await g.putApplication('unmade', appYaml('unmade', 'made-by-nobody', false))).status).toBe(201);

    const made = await run('apps', 'status', 'made', '--wait', '--timeout', '100s');
    expect(made.code).toBe(0);
    const view = await run('apps', 'status', 'made', '--cluster', 'eu-real');
    expect(view.stdout).toMatch(
      /^Namespace\s+-\s+made-by-agent\s+created\s+.*namespace made-by-agent created \(createNamespace\)$/m,
    );
    expect(view.stdout).toMatch(/^ConfigMap\s+made-by-agent\s+plain\s+created\s+healthy\s/m);
    expect((await readConfigMap(eu, 'made-by-agent', 'plain'))?.data).toEqual({ a: '1' });
    const ns = await eu.core.readNamespace({ name: 'made-by-agent' });
    expect(ns.metadata?.labels?.['flotilla.dev/application']).toBe('made');
    expect((await run('apps', 'list')).stdout).toMatch(/create-namespace/);

    const unmade = await run('apps', 'status', 'unmade', '--wait', '--timeout', '20s');
    expect(unmade.code).toBe(1);
    expect(unmade.stderr).toMatch(/NotFound: namespaces "made-by-nobody" not found/);
  });
});
