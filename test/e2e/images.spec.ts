import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  freePort,
  natsServerProcess,
  startKubeApiServer,
  type KubeApiServer,
  type NatsServerProcess,
  type TestDatabase,
} from '@flotilla/testing';
import { GitFixture } from '../../services/hub/src/sources/testing/git-fixture';
import { eventually, startProcess, type RunningProcess } from './registration-harness';

/**
 * The images as a platform team runs them (issue #14): the hub IMAGE (podman, host network)
 * against Postgres and a nats-server configured only by `nats init` (run from the image),
 * and the agent IMAGE as Kubernetes would run it in a pod: the objects `flotilla clusters
 * join` prints applied to the real kube-apiserver, then the Deployment's container run by
 * podman the way a kubelet would (its env resolved from the Secret and the Downward API,
 * the ServiceAccount token and CA at /var/run/secrets/kubernetes.io/serviceaccount,
 * KUBERNETES_SERVICE_HOST/PORT set, read-only root filesystem, uid 1000). A commit then
 * reaches that cluster.
 *
 * Cost: the images are (re)built first by scripts/images.sh: ~12 min cold (the Debian base
 * is made once and cached in ~/.cache/flotilla/images), ~2 min warm (bundle + two podman
 * builds from cached layers); the test itself ~2-3 min.
 */
const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);
// The tag `npm run images` builds: the test rebuilds it (from cached layers) and leaves it, so
// the next build reuses the layers (removing the image would remove the apt layer with it).
const tag = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const runId = randomBytes(3).toString('hex');
const hubImage = `localhost/flotilla/hub:${tag}`;
const agentImage = `localhost/flotilla/agent:${tag}`;
const podmanFlags = ['--cgroup-manager=cgroupfs', '--runtime', 'runc'];
let podmanEnv: NodeJS.ProcessEnv = process.env;
let kubectl = 'kubectl';

const podman = (args: string[]) => run('podman', [...podmanFlags, ...args], { env: podmanEnv, maxBuffer: 1 << 24 });

interface Container {
  name: string;
  proc: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
}

function runContainer(name: string, args: string[]): Container {
  const proc = spawn('podman', [...podmanFlags, 'run', '--rm', '--name', name, '--network', 'host', ...args], {
    env: podmanEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return {
    name,
    proc,
    output: () => text,
    waitFor: (pattern, timeoutMs) =>
      eventually(
        () => {
          if (pattern.test(text)) return true;
          if (proc.exitCode !== null) throw new Error(`container ${name} exited ${proc.exitCode}:\n${text}`);
          return undefined;
        },
        timeoutMs,
        `${pattern} from container ${name}`,
      ).then(
        () => undefined,
        (err: Error) => {
          throw new Error(`${err.message}\n${text}`);
        },
      ),
  };
}

function readEnvFile(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** A directory a container's uid 1000 can read and write: what an emptyDir is to a pod (a podman tmpfs stays root's). */
function containerDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 1000, 1000);
  return dir;
}

describe('hub and agent images (podman) against Postgres, NATS from `nats init`, and the real kube-apiserver', () => {
  let dir: string;
  let database: TestDatabase;
  let nats: NatsServerProcess | undefined;
  let kube: KubeApiServer | undefined;
  let git: GitFixture | undefined;
  const containers: Container[] = [];
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'flotilla-images-'));
    chmodSync(dir, 0o755);
    const tools = await run('bash', [path.join(root, 'scripts/ensure-k8s-tools.sh')]);
    kubectl = /FLOTILLA_KUBECTL=(.*)/.exec(tools.stdout)![1]!;
    const built = await run('bash', [path.join(root, 'scripts/images.sh')], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', FLOTILLA_IMAGE_TAG: tag },
      maxBuffer: 1 << 24,
    }).catch((err: { stderr?: string; message: string }) => {
      throw new Error(
        `building the images failed (podman, see scripts/ensure-podman.sh): ${err.message}\n${err.stderr ?? ''}`,
      );
    });
    process.stderr.write(
      built.stderr
        .split('\n')
        .filter((l) => l.startsWith('[images]'))
        .join('\n') + '\n',
    );
    const conf = /CONTAINERS_CONF=(.*)/.exec(
      (await run('bash', [path.join(root, 'scripts/ensure-podman.sh')])).stdout,
    )![1]!;
    podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
    database = await createTestDatabase('images_e2e');
    kube = await startKubeApiServer().catch((err: Error) => {
      throw new Error(
        `cannot start the real kube-apiserver (build it once with \`bash test/kube/build.sh\`): ${err.message}`,
        {
          cause: err,
        },
      );
    });
  }, 20 * 60_000);

  afterAll(async () => {
    await Promise.allSettled(containers.map((c) => podman(['stop', '-t', '5', c.name])));
    await Promise.allSettled(processes.map((p) => p.stop()));
    await nats?.stop();
    await kube?.stop();
    await git?.dispose();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it(
    'the hub image runs on a nats-server set up by its own `nats init`; the agent image joins as an in-cluster agent; a commit reaches the cluster',
    async () => {
      // 1. `nats init` from the hub image writes the keys and nats.conf; the host's nats-server 2.9 runs from that file alone.
      const keys = containerDir(path.join(dir, 'keys'));
      const natsPort = await freePort();
      const init = await podman([
      'run', '--rm', '--network', 'host', '--read-only', '-v', `${keys}:/keys`, hubImage,
      'nats', 'init', '--dir', '/keys', '--listen', `127.0.0.1:${natsPort}`, '--store-dir', path.join(keys, 'jetstream'),
    ]); // prettier-ignore
      expect(init.stdout).toContain('FLOTILLA_HUB_NATS_CREDS_FILE=/keys/hub.creds');
      nats = natsServerProcess(
        path.join(keys, 'nats.conf'),
        `nats://127.0.0.1:${natsPort}`,
        readFileSync(path.join(keys, 'hub.creds'), 'utf8'),
      );
      await nats.start();

      // 2. The hub image, read-only root, uid 1000, settings from hub.env and the environment only.
      git = await GitFixture.create('flotilla-images-src');
      // mkdtemp made it 0700: the hub's uid must traverse it.
      chmodSync(git.root, 0o755);
      const httpPort = await freePort();
      const adminToken = `images-e2e-${randomBytes(24).toString('hex')}`;
      const hubEnv = {
        ...readEnvFile(path.join(keys, 'hub.env')),
        FLOTILLA_HUB_DATABASE_URL: database.url,
        FLOTILLA_HUB_HTTP_HOST: '127.0.0.1',
        FLOTILLA_HUB_HTTP_PORT: String(httpPort),
        FLOTILLA_HUB_ADMIN_TOKEN: adminToken,
        // The test's git repository is a local path: the hub reads such sources only when told to.
        FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES: 'true',
      };
      const hub = runContainer(`flotilla-hub-${runId}`, [
      '--read-only', '--tmpfs', '/tmp', '-v', `${containerDir(path.join(dir, 'hub-data'))}:/var/lib/flotilla-hub`,
      '-v', `${keys}:/keys:ro`, '-v', `${git.root}:${git.root}:ro`,
      ...Object.entries(hubEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      hubImage,
    ]); // prettier-ignore
      containers.push(hub);
      await hub.waitFor(/hub listening on/, 120_000);
      const hubUrl = `http://127.0.0.1:${httpPort}`;
      const api = async (method: string, urlPath: string, body?: unknown, contentType = 'application/json') => {
        const res = await fetch(`${hubUrl}${urlPath}`, {
          method,
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': contentType },
          ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads the answers field by field
        return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
      };

      // 3. `flotilla clusters join` prints one command; run as printed against the real kube-apiserver.
      const join = startProcess(
      'services/cli/src/main.ts',
      ['clusters', 'join', 'img-1', '-l', 'env=prod,region=eu', '--nats-url', `nats://127.0.0.1:${natsPort}`,
        '--image', agentImage, '--manage-namespaces', 'shop', '--wait', '--timeout', '5m'],
      { FLOTILLA_HUB_URL: hubUrl, FLOTILLA_TOKEN: adminToken },
      'join',
    ); // prettier-ignore
      processes.push(join);
      await join.waitFor(/^EOF$/m, 60_000);
      const printed = join.output().slice(join.output().indexOf('kubectl apply'));
      const command = printed.slice(0, printed.indexOf('\nEOF\n') + 5);
      const kubeEnv = {
        ...process.env,
        KUBECONFIG: kube!.kubeconfigPath,
        PATH: `${path.dirname(kubectl)}:${process.env.PATH}`,
      };
      const applied = await run('bash', ['-c', command], { env: kubeEnv });
      expect(applied.stdout).toContain('deployment.apps/flotilla-agent serverside-applied');

      // 4. What a kubelet would do for that Deployment: token for its ServiceAccount, env and volumes resolved.
      const k = async (...args: string[]) => (await run(kubectl, args, { env: kubeEnv, maxBuffer: 1 << 24 })).stdout;
      const deployment = JSON.parse(
        await k('get', 'deployment', 'flotilla-agent', '-n', 'flotilla-system', '-o', 'json'),
      );
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      expect(container.image).toBe(agentImage);
      const secret = JSON.parse(
        await k('get', 'secret', 'flotilla-agent-registration', '-n', 'flotilla-system', '-o', 'json'),
      );
      const secretValue = (key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
      const sa = containerDir(path.join(dir, 'serviceaccount'));
      writeFileSync(
        path.join(sa, 'token'),
        (await k('create', 'token', pod.serviceAccountName, '-n', 'flotilla-system')).trim(),
      );
      writeFileSync(path.join(sa, 'ca.crt'), Buffer.from(kube!.caData ?? '', 'base64'));
      writeFileSync(path.join(sa, 'namespace'), 'flotilla-system');
      const registration = containerDir(path.join(dir, 'registration'));
      for (const key of Object.keys(secret.data)) writeFileSync(path.join(registration, key), secretValue(key));
      const env = (
        container.env as Array<{ name: string; value?: string; valueFrom?: Record<string, { key?: string }> }>
      ).map((e) => {
        if (e.value !== undefined) return `${e.name}=${e.value}`;
        if (e.valueFrom?.secretKeyRef) return `${e.name}=${secretValue(e.valueFrom.secretKeyRef.key!)}`;
        return `${e.name}=flotilla-system`; // fieldRef metadata.namespace
      });
      const apiPort = new URL(kube!.url).port;
      const agent = runContainer(`flotilla-agent-${runId}`, [
      '--read-only', '--user', `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`,
      '--tmpfs', '/tmp', '-v', `${containerDir(path.join(dir, 'agent-state'))}:/var/lib/flotilla-agent`,
      '-v', `${sa}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
      '-v', `${registration}:/etc/flotilla/registration:ro`,
      '-e', 'KUBERNETES_SERVICE_HOST=127.0.0.1', '-e', `KUBERNETES_SERVICE_PORT=${apiPort}`,
      ...env.flatMap((e) => ['-e', e]),
      agentImage, ...container.args,
    ]); // prettier-ignore
      containers.push(agent);

      // `join --wait` sees the cluster connect and exits 0; the labels came with the token.
      expect(await join.exited).toBe(0);
      expect(join.output()).toMatch(/cluster img-1 \(\S+\) is connected/);
      const clusters = await api('GET', '/api/v1/clusters');
      expect(clusters.body.items).toEqual([
        expect.objectContaining({ name: 'img-1', state: 'connected', labels: { env: 'prod', region: 'eu' } }),
      ]);
      // The agent kept its credentials in its Secret, as its ServiceAccount.
      await eventually(
        async () =>
          (await k('get', 'secret', '-n', 'flotilla-system', '-o', 'name')).includes('flotilla-agent-credentials')
            ? true
            : undefined,
        30_000,
        'the agent credentials Secret',
      );

      // 5. A commit reaches the cluster.
      await git.commit('shop: greeting', {
        'apps/shop/config.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\ndata:\n  greeting: hello from an image\n',
      });
      // git refuses a repository another uid owns (the hub runs git as uid 1000, with its own config).
      await run('chown', ['-R', '1000:1000', git.root]);
      expect(
        (await api('POST', '/api/v1/sources', { name: 'platform', url: git.url, pollIntervalSeconds: 3600 })).status,
      ).toBe(201);
      const application = [
      'apiVersion: flotilla.dev/v1', 'kind: Application', 'metadata:', '  name: shop', 'spec:', '  source: platform',
      '  path: apps/shop', '  targets:', '    - selector:', '        matchLabels: { env: prod }', '      namespace: shop',
      '  syncPolicy:', '    automated: true', '',
    ].join('\n'); // prettier-ignore
      const put = await api('PUT', '/api/v1/applications/shop', application, 'application/yaml');
      expect([200, 201]).toContain(put.status);
      const greeting = await eventually(
        async () => {
          const cm = await k('get', 'configmap', 'greeting', '-n', 'shop', '-o', 'jsonpath={.data.greeting}').catch(
            () => '',
          );
          return cm === 'hello from an image' ? cm : undefined;
        },
        120_000,
        'the ConfigMap in namespace shop',
      ).catch(async (err: Error) => {
        const sources = JSON.stringify((await api('GET', '/api/v1/sources')).body);
        throw new Error(
          `${err.message}\nsources: ${sources}\nagent:\n${agent.output().slice(-1500)}\nhub:\n${hub.output().slice(-2500)}`,
        );
      });
      expect(greeting).toBe('hello from an image');
      // The images carry their version and commit.
      const labels = JSON.parse(
        (await podman(['image', 'inspect', '--format', '{{json .Labels}}', agentImage])).stdout,
      );
      expect(labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}/);
      expect(labels['org.opencontainers.image.version']).toBe(tag);
    },
    10 * 60_000,
  );
});
