import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { createUser } from '@nats-io/nkeys';
import { agentInboxPrefix } from '@flotilla/contracts';
import type { AgentScope } from '@flotilla/kube';
import type { AgentCredentials, CredentialsStore } from './credentials/agent-credentials';
import { backoffDelay } from './backoff';
import { durations } from './durations';
import { startAgentMetrics, type AgentMetricsOptions } from './metrics';
import { AgentConfigError, AgentError, CredentialsRevokedError, RegistrationUnavailableError } from './errors';
import { HeartbeatPublisher } from './heartbeat/heartbeat-publisher';
import { registerCluster, type RegistrationInput } from './register/register-cluster';
import { NatsDesiredStateFeed } from './inbound/nats-desired-state-feed';
import { startReconcile, type RunningReconcile } from './reconcile';
import { Outbox, OutboxLockedError, statusRelayTarget } from './report';

export interface AgentOptions {
  servers: string[];
  store: CredentialsStore;
  token?: string;
  clusterName?: string;
  bootstrapCreds?: string;
  agentVersion: string;
  kubernetesVersion: string;
  /** The API group versions the cluster serves (discovery), reported at registration for Helm's `.Capabilities`. */
  apiVersions?: readonly string[];
  heartbeatIntervalMs: number;
  /** The agent's state directory: the status outbox, the desired state and the reconcile state live there. */
  stateDir: string;
  /** The cluster to reconcile; without it the agent reports liveness only. */
  reconcile?: { kubeConfig: KubeConfig; scope: AgentScope; inventoryNamespace: string };
  /** Serve Prometheus metrics at GET /metrics on this address; off when absent. */
  metrics?: AgentMetricsOptions;
  /** Aborted on SIGINT/SIGTERM: the agent stops cleanly. */
  signal: AbortSignal;
  log: (line: string) => void;
}

const authFailure = /authorization|authentication|revoked|user jwt/i;
/**
 * The server gave up waiting for our CONNECT (a busy machine, a slow client): says nothing
 * about the credentials, and reading it as a refusal would make the agent drop a valid cluster.
 */
const transientAuthFailure = /authentication timeout/i;

/**
 * The agent's life: credentials (stored, or obtained by registering once), then a
 * connection confined to its cluster's subjects, heartbeats, and a clean stop. Resolves
 * when stopped by the signal; rejects with an AgentError that carries the exit code.
 */
export async function runAgent(options: AgentOptions): Promise<void> {
  const credentials = await obtainCredentials(options);
  if (options.signal.aborted) return;
  options.log(
    `cluster ${credentials.clusterName} (${credentials.clusterId}): connecting to ${options.servers.join(', ')}`,
  );

  let nc: NatsConnection;
  // The first connection is retried with backoff while the failure is transient (server not
  // up yet, Authentication Timeout on a loaded machine); a refusal of the credentials ends it.
  for (let attempt = 0; ; attempt++) {
    try {
      nc = await connect({
        servers: options.servers,
        name: `flotilla-agent-${credentials.clusterId}`,
        authenticator: jwtAuthenticator(credentials.userJwt, new TextEncoder().encode(credentials.seed)),
        inboxPrefix: agentInboxPrefix(credentials.clusterId),
        timeout: durations.connectTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: durations.reconnectWaitMs,
      });
      break;
    } catch (err) {
      const error = classifyConnectionError(err, options.store);
      if (!error.retryable || options.signal.aborted) throw error;
      const wait = registrationRetryDelay(attempt);
      options.log(`cluster ${credentials.clusterId}: ${error.message}; retrying in ${wait} ms`);
      await sleep(wait);
      if (options.signal.aborted) return;
    }
  }
  options.log(`cluster ${credentials.clusterId}: connected`);

  const heartbeats = new HeartbeatPublisher(nc, {
    clusterId: credentials.clusterId,
    agentVersion: options.agentVersion,
    intervalMs: options.heartbeatIntervalMs,
  });
  heartbeats.start();
  // Status reports go through the outbox: journaled before anything is published, so a NATS
  // outage or a restart loses none.
  const outbox = await openOutbox(options, nc);
  outbox?.start(nc, { jetStream: statusRelayTarget(nc) });
  let metrics: Awaited<ReturnType<typeof startAgentMetrics>> | undefined;
  try {
    if (options.metrics) {
      metrics = await startAgentMetrics(options.metrics, { nc, outbox });
      options.log(`metrics at http://${options.metrics.host}:${metrics.port}/metrics`);
    }
  } catch (err) {
    heartbeats.stop();
    await outbox?.close().catch(() => undefined);
    await nc.close();
    throw err;
  }
  let feed: NatsDesiredStateFeed | undefined;
  let reconcile: RunningReconcile | undefined;
  /** The same refusal (a stale state pushed again and again) is reported once per repeat window. */
  const reportedRefusals = new Map<string, number>();
  if (outbox && options.reconcile) {
    feed = new NatsDesiredStateFeed({
      nc,
      clusterId: credentials.clusterId,
      hubSigningPublicKey: credentials.hubSigningPublicKey,
      stateDir: options.stateDir,
      log: options.log,
      // A refused state goes to the hub like any status, so the attempt shows in the fleet history.
      onRefused: (refusal) => {
        const key = `${refusal.reason}\u0000${refusal.via}\u0000${refusal.message}`;
        const now = Date.now();
        if ((reportedRefusals.get(key) ?? -Infinity) > now - durations.refusalReportRepeatMs) return;
        reportedRefusals.set(key, now);
        reconcile?.reporter.report(
          { type: 'DesiredStateRefused', ...refusal, at: new Date(now).toISOString() },
          undefined,
        );
      },
    });
    reconcile = await startReconcile({
      clusterId: credentials.clusterId,
      feed,
      ...options.reconcile,
      stateDir: options.stateDir,
      outbox,
      log: options.log,
    });
    await feed.start();
  }
  const stopped = new Promise<'stopped'>((resolve) => {
    if (options.signal.aborted) resolve('stopped');
    options.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  const outcome = await Promise.race([stopped, nc.closed()]);
  heartbeats.stop();
  await metrics?.close();
  // Nothing here may mask why the agent stops (the exit code tells a revocation from an outage).
  await reconcile?.stop().catch((err: Error) => options.log(`reconcile: ${err.message}`));
  await feed?.stop().catch((err: Error) => options.log(`desired state: ${err.message}`));
  // Whatever the outbox could not send stays journaled for the next start.
  if (outcome === 'stopped') await outbox?.flush({ timeoutMs: durations.shutdownTimeoutMs }).catch(() => undefined);
  await outbox?.close().catch((err: Error) => options.log(`status outbox: ${err.message}`));
  if (outcome === 'stopped') {
    options.log(`cluster ${credentials.clusterId}: stopping`);
    await Promise.race([
      nc.drain().catch(() => undefined),
      sleep(durations.shutdownTimeoutMs, undefined, { ref: false }),
    ]);
    if (!nc.isClosed()) await nc.close();
    return;
  }
  // The connection closed on its own: the client gave up, which with infinite reconnects
  // means the server refused us.
  throw classifyConnectionError(outcome ?? new Error('the NATS connection closed'), options.store);
}

/**
 * Opens the status outbox in the state directory. While another process holds it (the previous
 * agent of a rolling restart, still stopping) it waits, so the two never interleave one journal;
 * undefined when the agent stops or loses its connection first.
 */
async function openOutbox(options: AgentOptions, nc: NatsConnection): Promise<Outbox | undefined> {
  const dir = path.join(options.stateDir, 'outbox');
  let told = false;
  for (;;) {
    try {
      return await Outbox.open({ dir, onError: (error) => options.log(`status outbox: ${error.message}`) });
    } catch (err) {
      if (!(err instanceof OutboxLockedError)) throw err;
      if (!told) options.log(`${err.message}; waiting for it`);
      told = true;
    }
    if (options.signal.aborted || nc.isClosed()) return undefined;
    await sleep(durations.outboxLockRetryMs);
    if (options.signal.aborted || nc.isClosed()) return undefined;
  }
}

export function classifyConnectionError(err: unknown, store: CredentialsStore): AgentError {
  const message =
    err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
  if (authFailure.test(message) && !transientAuthFailure.test(message)) {
    return new CredentialsRevokedError(
      `NATS refuses this cluster's credentials (${message}): the cluster was probably deregistered. Remove the credentials in ${store.description} and register again with a new token.`,
      { cause: err },
    );
  }
  return new RegistrationUnavailableError(`the NATS connection closed: ${message}`, { cause: err });
}

async function obtainCredentials(options: AgentOptions): Promise<AgentCredentials> {
  const stored = await options.store.load();
  if (stored) {
    options.log(
      `using the credentials in ${options.store.description} (cluster ${stored.clusterId}); not registering again`,
    );
    return stored;
  }
  if (!options.token)
    throw new AgentConfigError(
      `no credentials in ${options.store.description}: start once with a registration token (--token or FLOTILLA_AGENT_TOKEN)`,
    );
  if (!options.clusterName)
    throw new AgentConfigError('registering needs a cluster name (--cluster-name or FLOTILLA_AGENT_CLUSTER_NAME)');
  if (!options.bootstrapCreds)
    throw new AgentConfigError(
      'registering needs the bootstrap creds from the hub (--bootstrap-creds FILE or FLOTILLA_AGENT_BOOTSTRAP_CREDS)',
    );

  // The key pair is made here and its seed never leaves this process and its store.
  const user = createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const input: RegistrationInput = {
    servers: options.servers,
    bootstrapCreds: options.bootstrapCreds,
    token: options.token,
    clusterName: options.clusterName,
    publicKey: user.getPublicKey(),
    agentVersion: options.agentVersion,
    kubernetesVersion: options.kubernetesVersion,
    apiVersions: options.apiVersions ?? [],
  };
  options.log(`registering cluster ${options.clusterName}`);
  const giveUpAt = Date.now() + durations.registrationGiveUpMs;
  for (let attempt = 0; ; attempt++) {
    const wait = registrationRetryDelay(attempt);
    try {
      // A retry resends the same token and key: if the hub's answer was lost, it answers again.
      const registration = await registerCluster(input);
      const credentials: AgentCredentials = {
        version: 1,
        clusterId: registration.clusterId,
        clusterName: registration.clusterName,
        seed,
        userJwt: registration.userJwt,
        hubSigningPublicKey: registration.hubSigningPublicKey,
        registeredAt: new Date().toISOString(),
      };
      await options.store.save(credentials);
      user.clear();
      options.log(`registered as cluster ${registration.clusterId}; credentials saved in ${options.store.description}`);
      return credentials;
    } catch (err) {
      if (!(err instanceof AgentError) || !err.retryable || Date.now() + wait > giveUpAt || options.signal.aborted)
        throw err;
      options.log(`${err.message}; retrying in ${wait} ms`);
      await sleep(wait);
    }
  }
}

/** Both first contacts with the hub (registration, then the first connection) back off alike. */
function registrationRetryDelay(attempt: number): number {
  return backoffDelay(attempt, {
    initialMs: durations.registrationRetryInitialMs,
    maxMs: durations.registrationRetryMaxMs,
    random: Math.random,
  });
}
