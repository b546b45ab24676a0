import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import { Client } from 'pg';
import type { RecordedEvent } from '@flotilla/event-store';
import { startKubeEmulator, type KubeEmulator } from '@flotilla/kube-emulator';
import { startKubeApiServer, type KubeApiServer, type TestDatabase } from '@flotilla/testing';
import { stateDirOf } from '../../services/agent/src/agent.config';
import { decodeFrames } from '../../services/agent/src/report/journal-frame';
import { decodeRecord } from '../../services/agent/src/report/journal-record';
import { desiredStateReactorName } from '../../services/hub/src/desired-state/desired-state.reactor';
import { GitFixture } from '../../services/hub/src/sources/testing/git-fixture';
import { eventually, startFleet, type Fleet, type RunningProcess } from './registration-harness';

/**
 * The GitOps loop across real processes: a git repository made by the test, Postgres and an
 * operator-mode nats-server, the hub, and one agent per cluster, each reconciling its own
 * Kubernetes API: the real kube-apiserver (with kube-controller-manager) for one, the
 * project's emulator for the others. Tests speak REST to the hub as a user would, read the
 * event store to assert the log, and read each cluster with client-node.
 */
export { eventually };
export type { Fleet, RunningProcess };

export interface ClusterSpec {
  name: string;
  labels: Record<string, string>;
  /** `kube-apiserver`: the real server (one per fleet); `emulator`: a virtual cluster of the emulator. */
  api: 'kube-apiserver' | 'emulator';
  /** Runs the cluster's agent inside this network namespace (see test/faults/netns.ts); needs `natsHost`. */
  netns?: string;
}

export interface GitopsCluster {
  name: string;
  api: ClusterSpec['api'];
  /** Assigned by the hub at registration. */
  id: string;
  kubeconfig: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  agent: RunningProcess;
  /** The agent's state directory (its status outbox lives in `outbox/`). */
  stateDir: string;
}

export interface GitopsFleet {
  fleet: Fleet;
  git: GitFixture;
  clusters: Record<string, GitopsCluster>;
  /** The source every application of the fleet reads, added by `addSource`. */
  sourceName: string;
  /** The source's webhook secret (a file in FLOTILLA_HUB_GIT_CREDENTIALS_DIR named by `webhookSecretRef`). */
  webhookSecret: string;
  webhookSecretRef: string;
  /** PUT /api/v1/applications/{name} with the application file as YAML. */
  putApplication(name: string, yaml: string): Promise<{ status: number; body: unknown }>;
  /**
   * PUT /api/v1/applications/{name}/policy as the admin: what the application may create
   * beyond the default (its target namespace, nothing cluster-scoped). Throws unless 200.
   */
  /**
   * Adds the fleet's source (the test's git repository, polled hourly, with the webhook secret)
   * and waits until the hub has observed `commit` on it. Throws unless the add answers 201.
   */
  addSource(commit: string, timeoutMs?: number): Promise<void>;
  grantPolicy(
    name: string,
    policy: { namespaces?: string[]; clusterScopedKinds?: string[]; namespacedKinds?: string[] },
  ): Promise<void>;
  /** A GitHub-style push delivery signed with `secret` (the source's own by default); returns the HTTP status. */
  webhook(options?: { secret?: string; after?: string }): Promise<number>;
  /** Every event of the log, in position order (paged, so a long run never truncates). */
  allEvents(): Promise<RecordedEvent[]>;
  /**
   * Resolves once the hub's desired-state reactor has handled every event up to `position`:
   * all it appends for an event lands before its checkpoint moves past it, so "nothing was
   * assigned" can be asserted without sleeping.
   */
  reactorPassed(position: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The controllers kube-controller-manager runs on the real server: namespaces finalize and
 * garbage is collected. The deployment controller is left out on purpose: no kubelet runs
 * here, so the test writes Deployment status as kubelet and controllers would
 * (`markDeploymentsAvailable`), and nothing overwrites it.
 */
const realServerControllers = ['namespace', 'garbagecollector', 'serviceaccount'];

/** The agent's own namespace (its inventories live there), created as deploying the agent would. */
const agentNamespace = 'flotilla-system';

export async function startGitopsFleet(
  specs: ClusterSpec[],
  options: {
    database?: TestDatabase;
    /** More FLOTILLA_HUB_* settings for the hub process (e.g. its render tools and limits). */
    hubEnv?: Record<string, string>;
    /** Where NATS and the emulator listen (default 127.0.0.1): the veth host address when an agent runs in a network namespace. */
    listenHost?: string;
    heartbeatIntervalMs?: number;
    missedHeartbeats?: number;
    /** More flags for every agent process (e.g. `--metrics-port 0`). */
    agentArgs?: string[];
  } = {},
): Promise<GitopsFleet> {
  const git = await GitFixture.create('flotilla-gitops-e2e');
  // Closed in this order whatever order they started in: the agents (in the fleet) stop before
  // the Kubernetes APIs they talk to.
  const parts: { fleet?: Fleet; real?: KubeApiServer; emulator?: KubeEmulator } = {};
  const closeAll = async () => {
    await parts.fleet?.close().catch(() => undefined);
    await parts.real?.stop().catch(() => undefined);
    await parts.emulator?.stop().catch(() => undefined);
    await git.dispose().catch(() => undefined);
  };
  try {
    const secretsDir = path.join(git.root, 'secrets');
    mkdirSync(secretsDir, { mode: 0o700 });
    const webhookSecretRef = 'platform-webhook';
    const webhookSecret = `whsec-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    writeFileSync(path.join(secretsDir, webhookSecretRef), `${webhookSecret}\n`, { mode: 0o600 });

    const emulated = specs.filter((s) => s.api === 'emulator').map((s) => s.name);
    const wantsReal = specs.some((s) => s.api === 'kube-apiserver');
    // The servers start side by side (the hub process takes longest); all settle before any
    // failure is thrown, so closeAll stops whatever did start.
    const started = await Promise.allSettled([
      startFleet({
        hubEnv: { FLOTILLA_HUB_GIT_CREDENTIALS_DIR: secretsDir, ...options.hubEnv },
        ...(options.database ? { database: options.database } : {}),
        ...(options.listenHost ? { natsHost: options.listenHost } : {}),
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
        ...(options.missedHeartbeats ? { missedHeartbeats: options.missedHeartbeats } : {}),
      }).then((f) => (parts.fleet = f)),
      wantsReal
        ? startKubeApiServer({ controllerManager: true, controllers: realServerControllers }).then(
            (server) => (parts.real = server),
            (err: unknown) => {
              throw new Error(
                `cannot start the real kube-apiserver (build it once with \`bash test/kube/build.sh\`, or set FLOTILLA_TEST_KUBECONFIG): ${(err as Error).message}`,
                { cause: err },
              );
            },
          )
        : undefined,
      emulated.length > 0
        ? startKubeEmulator({ clusters: emulated, ...(options.listenHost ? { host: options.listenHost } : {}) }).then(
            (e) => (parts.emulator = e),
          )
        : undefined,
    ]);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const fleet = parts.fleet!;
    const real = parts.real;
    const emulator = parts.emulator;

    const clusters: Record<string, GitopsCluster> = {};
    await Promise.all(
      specs.map(async (spec) => {
        const kubeconfig =
          spec.api === 'kube-apiserver'
            ? real!.kubeconfigPath
            : emulator!.cluster(spec.name).writeKubeconfig(path.join(fleet.dir, `${spec.name}.kubeconfig`));
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfig);
        const core = kc.makeApiClient(CoreV1Api);
        await core.createNamespace({ body: { metadata: { name: agentNamespace } } });
        const token = await fleet.createToken({ labels: spec.labels });
        const credentialsFile = path.join(fleet.dir, spec.name, 'credentials.json');
        const agent = fleet.startAgent({
          name: spec.name,
          token,
          credentialsFile,
          kubeconfig,
          ...(spec.netns ? { netns: spec.netns } : {}),
          ...(options.agentArgs ? { extraArgs: options.agentArgs } : {}),
        });
        await agent.waitFor(/connected/, 90_000);
        const id = (JSON.parse(readFileSync(credentialsFile, 'utf8')) as { clusterId: string }).clusterId;
        clusters[spec.name] = {
          name: spec.name,
          api: spec.api,
          id,
          kubeconfig,
          kc,
          core,
          apps: kc.makeApiClient(AppsV1Api),
          agent,
          stateDir: stateDirOf({ credentialsFile }),
        };
      }),
    );
    await eventually(
      async () => {
        const { body } = await fleet.api('GET', '/api/v1/clusters');
        const items = (body?.items ?? []) as Array<{ state: string }>;
        return items.length === specs.length && items.every((c) => c.state === 'connected') ? true : undefined;
      },
      60_000,
      'every cluster to be connected',
    );

    const sourceName = 'platform';
    const gitops: GitopsFleet = {
      fleet,
      git,
      clusters,
      sourceName,
      webhookSecret,
      webhookSecretRef,
      async putApplication(name, yaml) {
        const response = await fetch(`${fleet.hubUrl}/api/v1/applications/${name}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/yaml' },
          body: yaml,
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : undefined };
      },
      async addSource(commit, timeoutMs = 90_000) {
        const added = await fleet.api('POST', '/api/v1/sources', {
          name: sourceName,
          url: git.url,
          pollIntervalSeconds: 3600,
          webhookSecretRef,
        });
        if (added.status !== 201)
          throw new Error(`POST /api/v1/sources: ${added.status} ${JSON.stringify(added.body)}`);
        await eventually(
          async () =>
            (await fleet.events({ types: ['CommitObserved'] })).some((e) => (e.data as { sha: string }).sha === commit)
              ? true
              : undefined,
          timeoutMs,
          `CommitObserved of ${commit.slice(0, 12)}`,
        );
      },
      async grantPolicy(name, policy) {
        const body = {
          namespaces: policy.namespaces ?? [],
          clusterScopedKinds: policy.clusterScopedKinds ?? [],
          namespacedKinds: policy.namespacedKinds ?? ['*'],
        };
        const { status, body: answer } = await fleet.api('PUT', `/api/v1/applications/${name}/policy`, body);
        if (status !== 200)
          throw new Error(`PUT /api/v1/applications/${name}/policy: ${status} ${JSON.stringify(answer)}`);
      },
      async webhook({ secret = webhookSecret, after } = {}) {
        const body = JSON.stringify({
          ref: 'refs/heads/main',
          after: after ?? (await git.head()),
          repository: { full_name: 'flotilla/platform' },
        });
        const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
        const response = await fetch(`${fleet.hubUrl}/api/v1/sources/${sourceName}/webhook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'push',
            'x-github-delivery': `${Date.now()}`,
            'x-hub-signature-256': signature,
          },
          body,
        });
        await response.text();
        return response.status;
      },
      async allEvents() {
        const all: RecordedEvent[] = [];
        for (;;) {
          const page = await fleet.store.readAll({ after: all.at(-1)?.position ?? 0, limit: 1000 });
          all.push(...page);
          if (page.length < 1000) return all;
        }
      },
      async reactorPassed(position) {
        const client = new Client({ connectionString: fleet.database.url });
        await client.connect();
        try {
          await eventually(
            async () => {
              const { rows } = await client.query<{ position: string }>(
                'SELECT position FROM projection_checkpoints WHERE name = $1',
                [desiredStateReactorName],
              );
              return rows[0] && Number(rows[0].position) >= position ? true : undefined;
            },
            90_000,
            `the desired-state reactor past position ${position}`,
          );
        } finally {
          await client.end();
        }
      },
      close: closeAll,
    };
    return gitops;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

export async function readConfigMap(
  cluster: GitopsCluster,
  namespace: string,
  name: string,
): Promise<V1ConfigMap | undefined> {
  try {
    return await cluster.core.readNamespacedConfigMap({ name, namespace });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function readDeployment(
  cluster: GitopsCluster,
  namespace: string,
  name: string,
): Promise<V1Deployment | undefined> {
  try {
    return await cluster.apps.readNamespacedDeployment({ name, namespace });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Whether the namespace is gone (a Terminating one still counts as present). */
export async function namespaceGone(cluster: GitopsCluster, name: string): Promise<boolean> {
  try {
    await cluster.core.readNamespace({ name });
    return false;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return true;
    throw err;
  }
}

/** What `kubectl edit` does to a ConfigMap: a merge patch under its own field manager. */
export async function kubectlEditConfigMap(
  cluster: GitopsCluster,
  namespace: string,
  name: string,
  patch: object,
): Promise<void> {
  await cluster.core.patchNamespacedConfigMap(
    { name, namespace, body: patch, fieldManager: 'kubectl-edit' },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/**
 * Plays kubelet and the workload controllers on the real server (which runs neither): every
 * Deployment of the namespace gets a status saying its replicas are all available, for its
 * current generation. Returns how many it wrote (0 when all were already marked).
 */
export async function markDeploymentsAvailable(cluster: GitopsCluster, namespace: string): Promise<number> {
  const { items } = await cluster.apps.listNamespacedDeployment({ namespace });
  let written = 0;
  for (const deployment of items) {
    const replicas = deployment.spec?.replicas ?? 1;
    const status = deployment.status ?? {};
    if (status.observedGeneration === deployment.metadata?.generation && status.availableReplicas === replicas)
      continue;
    const now = new Date().toISOString();
    await cluster.apps.patchNamespacedDeploymentStatus(
      {
        name: deployment.metadata!.name!,
        namespace,
        body: {
          status: {
            observedGeneration: deployment.metadata?.generation,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
            conditions: [
              {
                type: 'Available',
                status: 'True',
                reason: 'MinimumReplicasAvailable',
                message: 'written by the e2e test standing in for kubelet',
                lastUpdateTime: now,
                lastTransitionTime: now,
              },
              {
                type: 'Progressing',
                status: 'True',
                reason: 'NewReplicaSetAvailable',
                message: 'written by the e2e test standing in for kubelet',
                lastUpdateTime: now,
                lastTransitionTime: now,
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    written++;
  }
  return written;
}

/** An outbox entry the stream has not acknowledged yet, as the agent journaled it. */
export interface PendingOutboxEntry {
  seq: number;
  subject: string;
  /** The report's message id, which the hub uses as the event id. */
  msgId: string;
  enqueuedAt: number;
}

/**
 * Reads the agent's status outbox journal from outside the process (read-only, no lock): the
 * entries journaled and not yet acknowledged by the stream, in order. A compaction may replace
 * the file between the listing and the read: that throws, and `eventually` simply asks again.
 */
export async function pendingOutboxEntries(cluster: GitopsCluster): Promise<PendingOutboxEntry[]> {
  const dir = path.join(cluster.stateDir, 'outbox');
  const newest = (await readdir(dir))
    .filter((name) => /^journal-\d{10}\.log$/.test(name))
    .sort()
    .at(-1);
  if (!newest) return [];
  // A tail being written is not a complete frame yet: decodeFrames stops before it.
  const { bodies } = decodeFrames(await readFile(path.join(dir, newest)));
  const entries = new Map<number, PendingOutboxEntry>();
  let ackedSeq = 0;
  for (const body of bodies) {
    const record = decodeRecord(body);
    if (record.kind === 'checkpoint' || record.kind === 'ack')
      ackedSeq = Math.max(ackedSeq, record.kind === 'ack' ? record.seq : record.ackedSeq);
    else if (record.kind === 'drop') for (const seq of record.seqs) entries.delete(seq);
    else
      entries.set(record.seq, {
        seq: record.seq,
        subject: record.subject,
        msgId: record.msgId,
        enqueuedAt: record.enqueuedAt,
      });
  }
  return [...entries.values()].filter((e) => e.seq > ackedSeq).sort((a, b) => a.seq - b.seq);
}
