import path from 'node:path';
import { z } from 'zod';
import { TRACE_EXPORTER_KINDS } from '@flotilla/telemetry';
import { commaList, loadFlagsAndEnv, natsUrls, type SettingName } from './config-input';
import { durations } from './durations';
import { AgentConfigError } from './errors';

/**
 * The agent's settings: flags override FLOTILLA_AGENT_* variables; validated at start-up
 * with errors that name the flag/variable and never echo a value (tokens are secrets:
 * prefer the variable to the flag, which other users can see in `ps`).
 */
const schema = z
  .object({
    /** One-time registration token; needed only for the first start. */
    token: z.string().min(1).optional(),
    /** Comma-separated NATS URLs. */
    natsUrl: natsUrls(),
    /** The name the cluster registers under (DNS label); needed only for the first start. */
    clusterName: z.string().min(1).optional(),
    /**
     * Keep the credentials in this file (mode 0600) rather than in a Secret. Independent of
     * --kubeconfig/--in-cluster, which say which cluster the agent reconciles.
     */
    credentialsFile: z.string().min(1).optional(),
    kubeconfig: z.string().min(1).optional(),
    inCluster: z.boolean().default(false),
    /** Namespace of the credentials Secret (the agent's own). */
    namespace: z.string().min(1).default('flotilla-system'),
    secretName: z.string().min(1).default('flotilla-agent-credentials'),
    /** Creds text of the shared bootstrap user (from the hub); needed only for the first start. */
    bootstrapCreds: z
      .string()
      .includes('-----BEGIN NATS USER JWT-----', { message: 'must be a NATS creds file' })
      .optional(),
    heartbeatIntervalMs: z.coerce.number().int().min(50).default(durations.heartbeatIntervalDefaultMs),
    tracesExporter: z.enum(TRACE_EXPORTER_KINDS as [string, ...string[]]).default('none'),
    otlpEndpoint: z.string().url().optional(),
    /**
     * The outbox journal and reconcile state (a PersistentVolume or emptyDir in a cluster). Default:
     * beside the credentials file, else /var/lib/flotilla-agent (see stateDirOf).
     */
    stateDir: z.string().min(1).optional(),
    /** Serve Prometheus metrics at GET /metrics on this port (0: any free port); off when absent. */
    metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
    /** The address metrics listen on: all interfaces by default, so Prometheus can scrape the pod. */
    metricsHost: z.string().min(1).default('0.0.0.0'),
    /** Namespaces the agent may touch (comma-separated names or `*`); the Reconciler refuses the rest. */
    allowNamespaces: commaList(z.string(), '*'),
    /** Kinds the agent may touch: `Kind` (core), `group/Kind`, `group/*` or `*`. */
    allowKinds: commaList(z.string(), '*'),
  })
  .refine((c) => c.credentialsFile || c.kubeconfig || c.inCluster, {
    message: 'say where to keep credentials: --credentials-file, or --kubeconfig/--in-cluster with --namespace',
    path: ['credentialsFile'],
  })
  .refine((c) => !(c.kubeconfig && c.inCluster), {
    message: 'give either --kubeconfig or --in-cluster, not both',
    path: ['kubeconfig'],
  });
export type AgentConfig = z.output<typeof schema>;

const names: Record<string, SettingName> = {
  token: { flag: '--token', env: 'FLOTILLA_AGENT_TOKEN' },
  natsUrl: { flag: '--nats-url', env: 'FLOTILLA_AGENT_NATS_URL' },
  clusterName: { flag: '--cluster-name', env: 'FLOTILLA_AGENT_CLUSTER_NAME' },
  credentialsFile: { flag: '--credentials-file', env: 'FLOTILLA_AGENT_CREDENTIALS_FILE' },
  kubeconfig: { flag: '--kubeconfig', env: 'FLOTILLA_AGENT_KUBECONFIG' },
  inCluster: { flag: '--in-cluster', env: 'FLOTILLA_AGENT_IN_CLUSTER', boolean: true },
  namespace: { flag: '--namespace', env: 'FLOTILLA_AGENT_NAMESPACE' },
  secretName: { flag: '--secret-name', env: 'FLOTILLA_AGENT_SECRET_NAME' },
  bootstrapCreds: { flag: '--bootstrap-creds', env: 'FLOTILLA_AGENT_BOOTSTRAP_CREDS' },
  heartbeatIntervalMs: { flag: '--heartbeat-interval-ms', env: 'FLOTILLA_AGENT_HEARTBEAT_INTERVAL_MS' },
  tracesExporter: { flag: '--traces-exporter', env: 'FLOTILLA_AGENT_TRACES_EXPORTER' },
  otlpEndpoint: { flag: '--otlp-endpoint', env: 'FLOTILLA_AGENT_OTLP_ENDPOINT' },
  stateDir: { flag: '--state-dir', env: 'FLOTILLA_AGENT_STATE_DIR' },
  metricsPort: { flag: '--metrics-port', env: 'FLOTILLA_AGENT_METRICS_PORT' },
  metricsHost: { flag: '--metrics-host', env: 'FLOTILLA_AGENT_METRICS_HOST' },
  allowNamespaces: { flag: '--allow-namespaces', env: 'FLOTILLA_AGENT_ALLOW_NAMESPACES' },
  allowKinds: { flag: '--allow-kinds', env: 'FLOTILLA_AGENT_ALLOW_KINDS' },
};

export function loadAgentConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return loadFlagsAndEnv({
    what: 'agent',
    schema,
    names,
    argv,
    env,
    ConfigError: AgentConfigError,
    // The bootstrap creds are given as a file path (flag or FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE) or inline.
    files: (raw) => {
      const given = raw.bootstrapCreds as string | undefined;
      if (given?.includes('BEGIN NATS')) return {};
      return { bootstrapCreds: given ?? env.FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE };
    },
  });
}

/**
 * Where the agent keeps its outbox, desired and reconcile state: the flag; else beside the
 * credentials file and named after it (`eu-1.creds.json` -> `eu-1.creds.state`), so agents
 * keeping their credentials in one directory never share a state directory; else /var/lib.
 */
export function stateDirOf(config: Pick<AgentConfig, 'stateDir' | 'credentialsFile'>): string {
  if (config.stateDir) return path.resolve(config.stateDir);
  if (config.credentialsFile) {
    const file = path.resolve(config.credentialsFile);
    return path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.state`);
  }
  return '/var/lib/flotilla-agent';
}
