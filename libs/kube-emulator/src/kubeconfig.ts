// KubeConfig documents for emulated clusters, in the shape kubectl and client-node load.
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** The cluster's server URL, e.g. http://127.0.0.1:PORT/clusters/NAME. */
  server: string;
  /** Context, cluster and user name; defaults to "emulator". */
  name?: string;
  /** Sent as a bearer token; the emulator checks it only when started with one. */
  token?: string;
  namespace?: string;
}

export interface KubeconfigDocument {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: { server: string; 'insecure-skip-tls-verify'?: boolean } }[];
  users: { name: string; user: { token?: string } }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context': string;
  preferences: Record<string, never>;
}

export function kubeconfigFor(opts: KubeconfigOptions): KubeconfigDocument {
  const name = opts.name ?? 'emulator';
  return {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 2 refuses plain http:// unless the cluster says to skip TLS verification.
    clusters: [
      {
        name,
        cluster: {
          server: opts.server,
          ...(opts.server.startsWith('http:') ? { 'insecure-skip-tls-verify': true } : {}),
        },
      },
    ],
    users: [{ name, user: opts.token ? { token: opts.token } : {} }],
    contexts: [
      { name, context: { cluster: name, user: name, ...(opts.namespace ? { namespace: opts.namespace } : {}) } },
    ],
    'current-context': name,
    preferences: {},
  };
}

/** The same document as YAML, for a file or `KubeConfig.loadFromString`. */
export function kubeconfigYaml(opts: KubeconfigOptions): string {
  return stringify(kubeconfigFor(opts));
}
