import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../ports';

/** A running Kubernetes API server the tests talk to. */
export interface KubeApiServer {
  /** https://127.0.0.1:PORT (or the server of FLOTILLA_TEST_KUBECONFIG). */
  url: string;
  /** Bearer token of a user in group system:masters ('' when the external kubeconfig authenticates otherwise). */
  token: string;
  /** A kubeconfig whose current context is this server and user: hand it to client-node or kubectl. */
  kubeconfigPath: string;
  /** The CA that signed the serving certificate, base64 PEM as in a kubeconfig's certificate-authority-data. */
  caData?: string;
  /** Kills every process it started and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface StartKubeApiServerOptions {
  /** Also run kube-controller-manager, so namespaces finish deleting and Deployments get ReplicaSets. */
  controllerManager?: boolean;
  /** Overrides the controllers kube-controller-manager runs (its --controllers list). */
  controllers?: string[];
  /** How long to wait for /readyz; the server is usually ready in 2-5 s. */
  readyTimeoutMs?: number;
  /** More kube-apiserver flags (e.g. `--min-request-timeout=3` so watches end every few seconds). */
  apiserverArgs?: string[];
}

export const KUBE_VERSION = 'v1.20.2';
const BUILD_HINT = 'run `bash test/kube/build.sh`';
const TEST_USER = 'flotilla-test';

// Enough for the behaviour the agent relies on (namespace finalization, Deployment ->
// ReplicaSet -> Pod, owner-reference cleanup); no scheduler or kubelet runs, so Pods stay
// Pending and tests write status themselves.
const DEFAULT_CONTROLLERS = [
  'namespace',
  'garbagecollector',
  'deployment',
  'replicaset',
  'statefulset',
  'job',
  'serviceaccount',
];

/** Where test/kube/build.sh caches kube-apiserver and kube-controller-manager. */
export function kubeBinDir(): string {
  const cache = process.env.FLOTILLA_KUBE_CACHE || join(homedir(), '.cache', 'flotilla', 'kube', KUBE_VERSION);
  return join(cache, 'bin');
}

/**
 * Starts etcd + the real kube-apiserver (and optionally kube-controller-manager) on free
 * loopback ports in a fresh temp dir. With FLOTILLA_TEST_KUBECONFIG set it starts nothing
 * and returns that cluster instead, so the same suites can run against a newer cluster.
 */
export async function startKubeApiServer(opts: StartKubeApiServerOptions = {}): Promise<KubeApiServer> {
  const external = process.env.FLOTILLA_TEST_KUBECONFIG;
  if (external) return externalCluster(external);

  const bins = findBinaries(opts.controllerManager === true);
  // A port picked free can be taken before etcd/apiserver bind it: retry the whole start
  // on that one failure rather than make tests flaky.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocal(bins, opts);
    } catch (err) {
      if (attempt >= 5 || !(err instanceof PortRaceError)) throw err;
    }
  }
}

interface Binaries {
  etcd: string;
  apiserver: string;
  controllerManager?: string;
}

function findBinaries(withControllerManager: boolean): Binaries {
  const dir = kubeBinDir();
  const apiserver = join(dir, 'kube-apiserver');
  const controllerManager = join(dir, 'kube-controller-manager');
  const missing = [apiserver, ...(withControllerManager ? [controllerManager] : [])].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `kube-apiserver ${KUBE_VERSION} binaries are missing (${missing.join(', ')}): ${BUILD_HINT} ` +
        '(builds them once from Debian source, ~10 min; or set FLOTILLA_TEST_KUBECONFIG to use an existing cluster).',
    );
  }
  const etcd = process.env.FLOTILLA_ETCD_BIN || findOnPath('etcd') || '/usr/bin/etcd';
  if (!existsSync(etcd)) {
    throw new Error(`etcd not found (Debian package etcd-server): ${BUILD_HINT}, which installs it.`);
  }
  return { etcd, apiserver, controllerManager: withControllerManager ? controllerManager : undefined };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

class PortRaceError extends Error {}

async function startLocal(bins: Binaries, opts: StartKubeApiServerOptions): Promise<KubeApiServer> {
  // tmpfs when there is one: etcd fsyncs every write and nothing here needs durability.
  const base = process.env.FLOTILLA_KUBE_TMPDIR || (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const dir = mkdtempSync(join(base, 'flotilla-kube-'));
  const procs: Proc[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    // Reverse start order: controller-manager and apiserver before the etcd they use.
    for (const p of [...procs].reverse()) await p.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  // If a test forgets stop() (or Jest tears the worker down), do not leave servers behind.
  const killOnExit = (): void => {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);

  try {
    const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
    const [etcdPort, etcdPeerPort, apiPort] = await distinctFreePorts(3);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = spawnLogged('etcd', bins.etcd, dir, [
      '--name=flotilla-test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=flotilla-test=http://127.0.0.1:${etcdPeerPort}`,
      '--logger=zap',
      '--log-level=warn',
    ]);
    procs.push(etcd);
    await waitFor(etcd, readyTimeoutMs, async () => (await httpGet(`${etcdUrl}/health`)).includes('"true"'));

    const token = randomBytes(24).toString('hex');
    const tokenFile = join(dir, 'tokens.csv');
    // token,user,uid,"groups": system:masters passes every RBAC check.
    writeFileSync(tokenFile, `${token},${TEST_USER},${TEST_USER},"system:masters"\n`, { mode: 0o600 });
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const saPub = join(dir, 'sa.pub');
    const saKey = join(dir, 'sa.key');
    writeFileSync(saPub, publicKey);
    writeFileSync(saKey, privateKey, { mode: 0o600 });
    const certDir = join(dir, 'certs');

    const apiserver = spawnLogged('kube-apiserver', bins.apiserver, dir, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      // The self-signed serving cert it writes here names the bind address, so clients can
      // verify TLS against it instead of skipping verification.
      `--cert-dir=${certDir}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--service-cluster-ip-range=10.250.0.0/24',
      // The default reconciler writes the advertise address into the `kubernetes` Endpoints;
      // a loopback address is invalid there and nothing in the tests needs it.
      '--endpoint-reconciler-type=none',
      // No token controller runs by default, so Pods would be rejected for lack of a token.
      '--disable-admission-plugins=ServiceAccount',
      '--profiling=false',
      ...(opts.apiserverArgs ?? []),
    ]);
    procs.push(apiserver);
    const url = `https://127.0.0.1:${apiPort}`;
    const certFile = join(certDir, 'apiserver.crt');
    // apiserver.crt holds the serving cert followed by the self-signed CA that issued it;
    // trusting the bundle is trusting that CA.
    let ca: string | undefined;
    await waitFor(apiserver, readyTimeoutMs, async () => {
      if (!ca) {
        if (!existsSync(certFile)) return false;
        ca = readFileSync(certFile, 'utf8');
        if (!ca.includes('-----END CERTIFICATE-----')) ca = undefined;
        if (!ca) return false;
      }
      const res = await httpsGet(`${url}/readyz`, ca, token);
      return res.status === 200;
    });
    const caData = Buffer.from(ca!).toString('base64');
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig(url, caData, token), { mode: 0o600 });

    if (bins.controllerManager) {
      const [kcmPort] = await distinctFreePorts(1, [etcdPort, etcdPeerPort, apiPort]);
      const kcm = spawnLogged('kube-controller-manager', bins.controllerManager, dir, [
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        '--leader-elect=false',
        `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
        // Every controller acts as the test user (system:masters) instead of its own
        // service account, whose token no token controller would mint.
        '--use-service-account-credentials=false',
        `--service-account-private-key-file=${saKey}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        `--cert-dir=${join(dir, 'kcm-certs')}`,
        '--port=0',
        '--profiling=false',
      ]);
      procs.push(kcm);
      // /healthz is on its always-allowed paths; its cert is self-signed in memory, so
      // only this readiness probe skips verification.
      await waitFor(kcm, readyTimeoutMs, async () => {
        const res = await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`, undefined, undefined);
        return res.status === 200;
      });
    }

    return { url, token, kubeconfigPath, caData, stop };
  } catch (err) {
    const logs = procs.map((p) => p.logTail()).join('\n');
    await stop();
    if (/address already in use/.test(logs)) throw new PortRaceError(String(err), { cause: err });
    throw err;
  }
}

function kubeconfig(server: string, caData: string, token: string): string {
  // JSON is YAML: client-node, client-go and kubectl all read it.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'flotilla-test', cluster: { server, 'certificate-authority-data': caData } }],
      users: [{ name: TEST_USER, user: { token } }],
      contexts: [{ name: 'flotilla-test', context: { cluster: 'flotilla-test', user: TEST_USER } }],
      'current-context': 'flotilla-test',
    },
    null,
    2,
  );
}

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  exitCode(): number | null | undefined;
  logTail(): string;
  kill(): Promise<void>;
}

function spawnLogged(name: string, bin: string, dir: string, args: string[]): Proc {
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep the last lines in memory for error messages; nothing is written unless it fails.
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 400) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let code: number | null | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (c, signal) => {
      code = c ?? (signal ? -1 : null);
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      code = -1;
      resolve();
    });
  });
  return {
    name,
    child,
    exited,
    exitCode: () => code,
    logTail: () =>
      `--- last lines of ${name} ---\n${spawnError ? `spawn error: ${spawnError.message}\n` : ''}${lines.slice(-30).join('\n')}`,
    kill: async () => {
      if (code !== undefined) return;
      // All state is throwaway, and a graceful apiserver shutdown costs ~1 s per suite.
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitFor(proc: Proc, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode() !== undefined) {
      throw new Error(`${proc.name} exited (code ${proc.exitCode()}) before it was ready\n${proc.logTail()}`);
    }
    try {
      if (await ready()) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(`${proc.name} was not ready after ${timeoutMs} ms\n${proc.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function distinctFreePorts(n: number, avoid: number[] = []): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) {
    const p = await freePort();
    if (!avoid.includes(p)) ports.add(p);
  }
  return [...ports];
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function httpsGet(
  url: string,
  ca: string | undefined,
  token: string | undefined,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        timeout: 2_000,
        ca,
        rejectUnauthorized: ca !== undefined,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function externalCluster(path: string): Promise<KubeApiServer> {
  if (!existsSync(path)) throw new Error(`FLOTILLA_TEST_KUBECONFIG=${path} does not exist`);
  // client-node is ESM-only; loaded only here so the local path does not pay for it.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`FLOTILLA_TEST_KUBECONFIG=${path} has no current cluster`);
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  return {
    url: cluster.server,
    token: kc.getCurrentUser()?.token ?? '',
    kubeconfigPath: path,
    caData,
    // Not ours to stop.
    stop: async () => {},
  };
}
