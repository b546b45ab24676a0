import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TRACE_EXPORTER_KINDS } from '@flotilla/telemetry';
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
    natsUrl: z
      .string()
      .default('nats://127.0.0.1:4222')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^(nats|tls):\/\//, 'must be nats:// or tls:// URLs')).min(1)),
    /** The name the cluster registers under (DNS label); needed only for the first start. */
    clusterName: z.string().min(1).optional(),
    /** Where credentials live outside Kubernetes (mode 0600). */
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
  })
  .refine((c) => c.credentialsFile || c.kubeconfig || c.inCluster, {
    message: 'say where to keep credentials: --credentials-file, or --kubeconfig/--in-cluster with --namespace',
    path: ['credentialsFile'],
  })
  .refine((c) => !(c.credentialsFile && (c.kubeconfig || c.inCluster)), {
    message: 'give either --credentials-file or --kubeconfig/--in-cluster, not both',
    path: ['credentialsFile'],
  });

export type AgentConfig = z.output<typeof schema>;

const names: Record<string, { flag: string; env: string }> = {
  token: { flag: '--token', env: 'FLOTILLA_AGENT_TOKEN' },
  natsUrl: { flag: '--nats-url', env: 'FLOTILLA_AGENT_NATS_URL' },
  clusterName: { flag: '--cluster-name', env: 'FLOTILLA_AGENT_CLUSTER_NAME' },
  credentialsFile: { flag: '--credentials-file', env: 'FLOTILLA_AGENT_CREDENTIALS_FILE' },
  kubeconfig: { flag: '--kubeconfig', env: 'FLOTILLA_AGENT_KUBECONFIG' },
  inCluster: { flag: '--in-cluster', env: 'FLOTILLA_AGENT_IN_CLUSTER' },
  namespace: { flag: '--namespace', env: 'FLOTILLA_AGENT_NAMESPACE' },
  secretName: { flag: '--secret-name', env: 'FLOTILLA_AGENT_SECRET_NAME' },
  bootstrapCreds: { flag: '--bootstrap-creds', env: 'FLOTILLA_AGENT_BOOTSTRAP_CREDS' },
  heartbeatIntervalMs: { flag: '--heartbeat-interval-ms', env: 'FLOTILLA_AGENT_HEARTBEAT_INTERVAL_MS' },
  tracesExporter: { flag: '--traces-exporter', env: 'FLOTILLA_AGENT_TRACES_EXPORTER' },
  otlpEndpoint: { flag: '--otlp-endpoint', env: 'FLOTILLA_AGENT_OTLP_ENDPOINT' },
};

export function loadAgentConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({
      args: argv,
      strict: true,
      options: {
        token: { type: 'string' },
        'nats-url': { type: 'string' },
        'cluster-name': { type: 'string' },
        'credentials-file': { type: 'string' },
        kubeconfig: { type: 'string' },
        'in-cluster': { type: 'boolean' },
        namespace: { type: 'string' },
        'secret-name': { type: 'string' },
        'bootstrap-creds': { type: 'string' },
        'heartbeat-interval-ms': { type: 'string' },
        'traces-exporter': { type: 'string' },
        'otlp-endpoint': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new AgentConfigError(`invalid agent arguments: ${(err as Error).message}`, { cause: err });
  }
  const raw: Record<string, unknown> = {};
  for (const [key, { flag, env: variable }] of Object.entries(names)) {
    const value = flags[flag.slice(2)] ?? (env[variable] === '' ? undefined : env[variable]);
    if (value !== undefined) raw[key] = value;
  }
  if (typeof raw.inCluster === 'string') raw.inCluster = raw.inCluster === 'true' || raw.inCluster === '1';
  // The bootstrap creds are given as a file path (flag or FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE) or inline.
  const credsFile = (flags['bootstrap-creds'] as string | undefined) ?? env.FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE;
  if (credsFile && !(typeof raw.bootstrapCreds === 'string' && raw.bootstrapCreds.includes('BEGIN NATS'))) {
    try {
      raw.bootstrapCreds = readFileSync(credsFile, 'utf8');
    } catch (err) {
      throw new AgentConfigError(
        `invalid agent configuration: --bootstrap-creds: cannot read ${credsFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { cause: err },
      );
    }
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const n = names[key];
      return `${n ? `${n.flag} (${n.env})` : key}: ${issue.message}`;
    });
    throw new AgentConfigError(`invalid agent configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
