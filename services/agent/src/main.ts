import { startTelemetry, type TraceExporterKind } from '@flotilla/telemetry';
import { runAgent, type AgentOptions } from './agent';
import { agentVersion } from './agent-version';
import { loadAgentConfig, stateDirOf } from './agent.config';
import type { CredentialsStore } from './credentials/agent-credentials';
import { FileCredentialsStore } from './credentials/file-credentials-store';
import { KubeSecretCredentialsStore } from './credentials/kube-secret-credentials-store';
import { AgentError } from './errors';
import { readClusterCapabilities } from './register/cluster-capabilities';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} flotilla-agent: ${line}\n`);

async function main(): Promise<number> {
  const config = loadAgentConfig(process.argv.slice(2));
  const telemetry = startTelemetry({
    serviceName: 'flotilla-agent',
    exporter: config.tracesExporter as TraceExporterKind,
    ...(config.otlpEndpoint ? { otlpEndpoint: config.otlpEndpoint } : {}),
  });
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
  try {
    let store: CredentialsStore;
    let kubernetesVersion = 'unknown';
    let apiVersions: string[] = [];
    let reconcile: AgentOptions['reconcile'];
    // Credentials live in a file when one is named, else in a Secret of the agent's namespace;
    // a cluster to reconcile is given by --kubeconfig/--in-cluster (without one the agent only
    // registers and reports liveness).
    if (config.kubeconfig || config.inCluster) {
      const k8s = await import('@kubernetes/client-node');
      const kc = new k8s.KubeConfig();
      if (config.inCluster) kc.loadFromCluster();
      else kc.loadFromFile(config.kubeconfig!);
      store = config.credentialsFile
        ? new FileCredentialsStore(config.credentialsFile)
        : new KubeSecretCredentialsStore(kc.makeApiClient(k8s.CoreV1Api), config.namespace, config.secretName);
      // The inventories live in the agent's own namespace, beside its credentials.
      reconcile = {
        kubeConfig: kc,
        scope: { namespaces: config.allowNamespaces, kinds: config.allowKinds },
        inventoryNamespace: config.namespace,
      };
      ({ kubernetesVersion, apiVersions } = await readClusterCapabilities(kc, log));
    } else {
      store = new FileCredentialsStore(config.credentialsFile!);
    }
    await runAgent({
      servers: config.natsUrl,
      store,
      ...(config.token ? { token: config.token } : {}),
      ...(config.clusterName ? { clusterName: config.clusterName } : {}),
      ...(config.bootstrapCreds ? { bootstrapCreds: config.bootstrapCreds } : {}),
      agentVersion,
      kubernetesVersion,
      apiVersions,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      stateDir: stateDirOf(config),
      ...(config.metricsPort !== undefined ? { metrics: { host: config.metricsHost, port: config.metricsPort } } : {}),
      ...(reconcile ? { reconcile } : {}),
      signal: abort.signal,
      log,
    });
    log('stopped');
    return 0;
  } finally {
    await telemetry.shutdown();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`flotilla-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof AgentError ? err.exitCode : 1);
  },
);
