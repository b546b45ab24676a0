// The emulator's HTTP server: one node:http server hosting many virtual clusters under
// /clusters/<name>, each with its own store, so a simulated fleet fits in one process.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SimulatedControllers } from './controllers';
import { DEFAULT_HISTORY_SIZE } from './cluster-store';
import { DEFAULT_CONTROLLER_DELAY_MS, SHUTDOWN_GRACE_MS } from './durations';
import { kubeconfigFor, kubeconfigYaml, type KubeconfigDocument } from './kubeconfig';
import { KubeApiError, unauthorized } from './status-error';
import { sendJson, VirtualCluster, DEFAULT_VERSION, type VersionInfo } from './virtual-cluster';

export interface KubeEmulatorOptions {
  /** TCP port on 127.0.0.1 (or `host`); 0 or absent picks a free one. */
  port?: number;
  /** Defaults to 127.0.0.1: the emulator has no TLS and is meant for loopback. */
  host?: string;
  /** Clusters created at start; more can be added with `addCluster`. Defaults to none. */
  clusters?: string[];
  /** Delay before simulated controllers write status; 0 is allowed. */
  controllerDelayMs?: number;
  /** Run the simulated controllers (status, namespace termination); defaults to true. */
  controllers?: boolean;
  /** When set, every request must carry `Authorization: Bearer <token>`; otherwise any token (or none) is accepted. */
  token?: string;
  /** Changes each cluster keeps for watches that resume from a resourceVersion; older ones get 410. */
  historySize?: number;
  /** What /version reports. */
  version?: VersionInfo;
  /**
   * Serve this cluster at the server root too (http://HOST:PORT/api/...), for tools that
   * cannot take a path prefix. It is created if absent.
   */
  rootCluster?: string;
}

export interface EmulatedCluster {
  name: string;
  /** Server URL for a kubeconfig: http://HOST:PORT/clusters/NAME. */
  url: string;
  /** In-process access to the store and verbs, e.g. to seed objects or inspect state. */
  api: VirtualCluster;
  kubeconfig(opts?: { token?: string; namespace?: string }): KubeconfigDocument;
  kubeconfigYaml(opts?: { token?: string; namespace?: string }): string;
  /** Writes the kubeconfig to path (mode 0600) and returns path. */
  writeKubeconfig(path: string, opts?: { token?: string; namespace?: string }): string;
}

export interface KubeEmulator {
  /** http://HOST:PORT */
  url: string;
  port: number;
  /** A cluster by name; throws if it does not exist. */
  cluster(name: string): EmulatedCluster;
  /** Creates a cluster (idempotent) and returns it. */
  addCluster(name: string): EmulatedCluster;
  removeCluster(name: string): boolean;
  clusterNames(): string[];
  stop(): Promise<void>;
}

export class UnknownClusterError extends Error {
  constructor(readonly clusterName: string) {
    super(`no emulated cluster named "${clusterName}"`);
    this.name = 'UnknownClusterError';
  }
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

interface Hosted {
  cluster: VirtualCluster;
  controllers: SimulatedControllers;
  handle: EmulatedCluster;
}

export async function startKubeEmulator(opts: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const delay = opts.controllerDelayMs ?? DEFAULT_CONTROLLER_DELAY_MS;
  const clusters = new Map<string, Hosted>();
  const sockets = new Set<Socket>();
  let baseUrl = '';

  const addCluster = (name: string): EmulatedCluster => {
    const existing = clusters.get(name);
    if (existing) return existing.handle;
    if (!CLUSTER_NAME.test(name))
      throw new Error(`invalid cluster name "${name}": use lower case letters, digits, '-' and '.'`);
    const cluster = new VirtualCluster(name, {
      historySize: opts.historySize ?? DEFAULT_HISTORY_SIZE,
      version: opts.version ?? DEFAULT_VERSION,
    });
    const controllers = new SimulatedControllers(cluster, delay, opts.controllers ?? true);
    const url = (): string => `${baseUrl}/clusters/${name}`;
    const handle: EmulatedCluster = {
      name,
      get url() {
        return url();
      },
      api: cluster,
      kubeconfig: (o = {}) =>
        kubeconfigFor({ server: url(), name, token: o.token ?? opts.token, namespace: o.namespace }),
      kubeconfigYaml: (o = {}) =>
        kubeconfigYaml({ server: url(), name, token: o.token ?? opts.token, namespace: o.namespace }),
      writeKubeconfig: (path, o = {}) => {
        writeFileSync(
          path,
          kubeconfigYaml({ server: url(), name, token: o.token ?? opts.token, namespace: o.namespace }),
          { mode: 0o600 },
        );
        return path;
      },
    };
    clusters.set(name, { cluster, controllers, handle });
    return handle;
  };

  const removeCluster = (name: string): boolean => {
    const hosted = clusters.get(name);
    if (!hosted) return false;
    hosted.controllers.stop();
    hosted.cluster.closeWatches();
    clusters.delete(name);
    return true;
  };

  for (const name of opts.clusters ?? []) addCluster(name);
  if (opts.rootCluster) addCluster(opts.rootCluster);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
      sendJson(res, 401, unauthorized().toStatus());
      return;
    }
    let path = url.pathname;
    let hosted: Hosted | undefined;
    const m = path.match(/^\/clusters\/([^/]+)(\/.*)?$/);
    if (m) {
      hosted = clusters.get(decodeURIComponent(m[1]!));
      path = m[2] ?? '/';
      if (!hosted) {
        sendJson(res, 404, new KubeApiError(404, 'NotFound', `no emulated cluster named "${m[1]}"`).toStatus());
        return;
      }
    } else if (opts.rootCluster) {
      hosted = clusters.get(opts.rootCluster);
    }
    if (!hosted) {
      sendJson(
        res,
        404,
        new KubeApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus(),
      );
      return;
    }
    void hosted.cluster.handle(req, res, path, url.searchParams);
  };

  const server = createServer(onRequest);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host}:${port}`;

  return {
    url: baseUrl,
    port,
    cluster: (name) => {
      const hosted = clusters.get(name);
      if (!hosted) throw new UnknownClusterError(name);
      return hosted.handle;
    },
    addCluster,
    removeCluster,
    clusterNames: () => [...clusters.keys()],
    stop: async () => {
      for (const name of [...clusters.keys()]) removeCluster(name);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, SHUTDOWN_GRACE_MS);
      grace.unref();
      await closed;
      clearTimeout(grace);
    },
  };
}
