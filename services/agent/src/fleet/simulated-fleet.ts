// The simulated fleet: many whole agents (registration, NATS, heartbeats, outbox, desired
// state, reconcile) in one process, each against its own virtual cluster of one Kubernetes
// API emulator. It puts a real hub under the load of N clusters without N machines, which
// is how users size a hub and how the propagation benchmark measures one.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, startKubeEmulator, type EmulatedCluster, type KubeEmulator } from '@flotilla/kube-emulator';
import { runAgent } from '../agent';
import { agentVersion as builtAgentVersion } from '../agent-version';
import type { AgentCredentials, CredentialsStore } from '../credentials/agent-credentials';
import { FileCredentialsStore } from '../credentials/file-credentials-store';
import { fleetClusterSpecs, type FleetClusters, type Labels, type SimulatedClusterSpec } from './fleet-clusters';
import { fleetDurations } from './fleet.durations';
import { FleetConfigError, FleetNotReadyError } from './fleet.errors';
import { Slots } from './slots';

export type { FleetClusters, Labels, SimulatedClusterSpec } from './fleet-clusters';

/** What a cluster's agent registers with: a one-time token and, unless the fleet has them, the bootstrap creds. */
export interface RegistrationGrant {
  token: string;
  /** Creds text of the hub's bootstrap user, as the hub hands it out with the token. */
  bootstrapCreds?: string;
}

/** Asked once per cluster that has no stored credentials yet (see `hubRegistrationTokens`). */
export type RegistrationTokenProvider = (cluster: SimulatedClusterSpec) => Promise<RegistrationGrant>;

export interface SimulatedFleetOptions {
  natsUrl: string | string[];
  clusters: FleetClusters;
  registrationToken: RegistrationTokenProvider;
  /** Creds text of the bootstrap user; needed only when the token provider does not hand them out. */
  bootstrapCreds?: string;
  /**
   * Per cluster `<stateDir>/<name>/credentials.json` and `<stateDir>/<name>/state`: a fleet
   * started again on the same directory reuses its registrations instead of asking for tokens.
   */
  stateDir: string;
  /** An emulator to add the clusters to (it stays up after `stop()`), or options for one the fleet starts and stops. */
  emulator?: KubeEmulator | { port?: number; controllerDelayMs?: number };
  /** Default `fleetDurations.heartbeatIntervalDefaultMs`; the hub's FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS must match. */
  heartbeatIntervalMs?: number;
  /** Agents registering at the same time (the rest wait for a slot); default 8. */
  registrationConcurrency?: number;
  /** Where each agent keeps its inventories, created in every virtual cluster; default `flotilla-system`. */
  inventoryNamespace?: string;
  /** Default: this agent build's version. */
  agentVersion?: string;
  /** Every agent's log lines, prefixed with its cluster name; default: kept only in each agent's log tail. */
  log?: (line: string) => void;
}

export type SimulatedAgentState = 'waiting' | 'registering' | 'connecting' | 'connected' | 'stopped' | 'failed';

export interface SimulatedAgentView {
  name: string;
  labels: Labels;
  /** Known once registered (or loaded from the state directory). */
  clusterId?: string;
  state: SimulatedAgentState;
  /** Why the agent stopped, when it failed. */
  error?: string;
  /** The server URL of its virtual cluster. */
  kubernetesUrl: string;
}

export interface FleetMemory {
  agents: number;
  /** Resident set of the whole process, emulator included. */
  rssBytes: number;
  heapUsedBytes: number;
  /** Resident set before the first agent started (the emulator with its clusters, the runtime). */
  baselineRssBytes: number;
  /** (rss - baseline) / agents. */
  perAgentBytes: number;
}

export interface SimulatedFleet {
  readonly emulator: KubeEmulator;
  agents(): SimulatedAgentView[];
  /** The last log lines of one agent (for diagnosing a failure). */
  logTail(name: string): string[];
  /**
   * Resolves when every agent registered and connected to NATS; rejects when one failed
   * (naming it, with its last log lines) or the time is up.
   */
  whenConnected(timeoutMs?: number): Promise<void>;
  memory(): FleetMemory;
  /** Stops every agent (each flushes its outbox and drains NATS), then the emulator if the fleet started it. */
  stop(): Promise<void>;
}

const registrationConcurrencyDefault = 8;
const inventoryNamespaceDefault = 'flotilla-system';
/** Lines of each agent's log kept in memory. */
const logTailLines = 40;
/** runAgent's line once its NATS connection is up (services/agent/src/agent.ts). */
const connectedLine = /^cluster \S+: connected$/;

interface Member {
  spec: SimulatedClusterSpec;
  cluster: EmulatedCluster;
  dir: string;
  view: SimulatedAgentView;
  tail: string[];
  abort: AbortController;
  done?: Promise<void>;
}

export async function startSimulatedFleet(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const specs = fleetClusterSpecs(options.clusters);
  const concurrency = options.registrationConcurrency ?? registrationConcurrencyDefault;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new FleetConfigError(`registrationConcurrency must be a positive integer, got ${concurrency}`);
  const servers = Array.isArray(options.natsUrl) ? options.natsUrl : [options.natsUrl];
  const inventoryNamespace = options.inventoryNamespace ?? inventoryNamespaceDefault;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? fleetDurations.heartbeatIntervalDefaultMs;
  const agentVersion = options.agentVersion ?? builtAgentVersion;

  const ownEmulator = !isEmulator(options.emulator);
  const emulator = isEmulator(options.emulator)
    ? options.emulator
    : await startKubeEmulator({
        ...(options.emulator?.port !== undefined ? { port: options.emulator.port } : {}),
        ...(options.emulator?.controllerDelayMs !== undefined
          ? { controllerDelayMs: options.emulator.controllerDelayMs }
          : {}),
      });

  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  const members: Member[] = [];
  try {
    for (const spec of specs) {
      const cluster = emulator.addCluster(spec.name);
      // An installed agent finds its namespace made by its manifests; here the fleet makes it.
      ensureNamespace(cluster, inventoryNamespace);
      const dir = path.join(path.resolve(options.stateDir), spec.name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      members.push({
        spec,
        cluster,
        dir,
        view: { name: spec.name, labels: spec.labels, state: 'waiting', kubernetesUrl: cluster.url },
        tail: [],
        abort: new AbortController(),
      });
    }
  } catch (err) {
    if (ownEmulator) await emulator.stop();
    throw err;
  }
  const baselineRssBytes = process.memoryUsage().rss;

  const slots = new Slots(concurrency);
  const setState = (member: Member, state: SimulatedAgentState, error?: string) => {
    member.view.state = state;
    if (error !== undefined) member.view.error = error;
    changed();
  };

  const runMember = async (member: Member): Promise<void> => {
    const release = await slots.acquire(member.abort.signal);
    if (!release) return setState(member, 'stopped');
    // The slot bounds concurrent registrations only: it is given back once the agent has its
    // credentials (or gives up), and after a while in any case so that one stuck agent cannot stall the rest.
    const slotTimer = setTimeout(release, fleetDurations.registrationSlotMs);
    slotTimer.unref();
    const onCredentials = (credentials: AgentCredentials) => {
      member.view.clusterId = credentials.clusterId;
      clearTimeout(slotTimer);
      release();
      setState(member, 'connecting');
    };
    try {
      const fileStore = new FileCredentialsStore(path.join(member.dir, 'credentials.json'));
      const store: CredentialsStore = {
        description: fileStore.description,
        load: async () => {
          const stored = await fileStore.load();
          if (stored) onCredentials(stored);
          return stored;
        },
        save: async (credentials) => {
          await fileStore.save(credentials);
          onCredentials(credentials);
        },
      };
      let grant: RegistrationGrant | undefined;
      if (!(await fileStore.load())) {
        setState(member, 'registering');
        grant = await options.registrationToken(member.spec);
        const bootstrapCreds = grant.bootstrapCreds ?? options.bootstrapCreds;
        if (!bootstrapCreds)
          throw new FleetConfigError(
            'the registration token came without bootstrap creds and the fleet was given none (bootstrapCreds)',
          );
        grant = { ...grant, bootstrapCreds };
      }
      if (member.abort.signal.aborted) return setState(member, 'stopped');
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(member.cluster.kubeconfigYaml());
      await runAgent({
        servers,
        store,
        ...(grant ? { token: grant.token, clusterName: member.spec.name, bootstrapCreds: grant.bootstrapCreds! } : {}),
        agentVersion,
        kubernetesVersion: member.cluster.api.version.gitVersion,
        heartbeatIntervalMs,
        stateDir: path.join(member.dir, 'state'),
        reconcile: { kubeConfig, scope: { namespaces: ['*'], kinds: ['*'] }, inventoryNamespace },
        signal: member.abort.signal,
        log: (line) => {
          member.tail.push(line);
          if (member.tail.length > logTailLines) member.tail.shift();
          if (connectedLine.test(line)) setState(member, 'connected');
          options.log?.(`[${member.spec.name}] ${line}`);
        },
      });
      setState(member, 'stopped');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      member.tail.push(`stopped: ${message}`);
      options.log?.(`[${member.spec.name}] stopped: ${message}`);
      setState(member, 'failed', message);
    } finally {
      clearTimeout(slotTimer);
      release();
    }
  };
  for (const member of members) member.done = runMember(member);

  const byName = new Map(members.map((m) => [m.spec.name, m]));
  let stopping: Promise<void> | undefined;
  return {
    emulator,
    agents: () => members.map((m) => ({ ...m.view, labels: { ...m.view.labels } })),
    logTail: (name) => [...(byName.get(name)?.tail ?? [])],
    whenConnected(timeoutMs = fleetDurations.connectTimeoutDefaultMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          const failed = members.find((m) => m.view.state === 'failed' || m.view.state === 'stopped');
          if (failed) {
            done();
            reject(
              new FleetNotReadyError(
                `simulated cluster ${failed.spec.name} ${failed.view.state}${failed.view.error ? `: ${failed.view.error}` : ''}\n  ${failed.tail.join('\n  ')}`,
              ),
            );
          } else if (members.every((m) => m.view.state === 'connected')) {
            done();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          done();
          const counts = countStates(members);
          const late = members.filter((m) => m.view.state !== 'connected').map((m) => m.spec.name);
          reject(
            new FleetNotReadyError(
              `not every simulated agent connected within ${timeoutMs} ms (${counts}); not connected: ${late.slice(0, 10).join(', ')}${late.length > 10 ? ', ...' : ''}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    memory() {
      const usage = process.memoryUsage();
      return {
        agents: members.length,
        rssBytes: usage.rss,
        heapUsedBytes: usage.heapUsed,
        baselineRssBytes,
        perAgentBytes: Math.max(0, usage.rss - baselineRssBytes) / members.length,
      };
    },
    stop() {
      stopping ??= (async () => {
        for (const member of members) member.abort.abort();
        slots.close();
        await Promise.allSettled(members.map((m) => m.done));
        if (ownEmulator) await emulator.stop();
        else for (const member of members) emulator.removeCluster(member.spec.name);
      })();
      return stopping;
    },
  };
}

function isEmulator(value: SimulatedFleetOptions['emulator']): value is KubeEmulator {
  return value !== undefined && typeof (value as KubeEmulator).addCluster === 'function';
}

function ensureNamespace(cluster: EmulatedCluster, name: string): void {
  const type = cluster.api.typeOfKind('v1', 'Namespace');
  if (!type) throw new Error('the Kubernetes API emulator serves no v1 Namespace');
  try {
    cluster.api.create(type, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.code === 409)) throw err;
  }
}

function countStates(members: Member[]): string {
  const counts = new Map<SimulatedAgentState, number>();
  for (const m of members) counts.set(m.view.state, (counts.get(m.view.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}
