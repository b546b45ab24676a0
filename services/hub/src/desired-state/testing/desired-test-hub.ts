import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { jwtAuthenticator, connect, type NatsConnection } from '@nats-io/transport-node';
import { createUser } from '@nats-io/nkeys';
import { agentInboxPrefix } from '@flotilla/contracts';
import type { PostgresEventStore } from '@flotilla/event-store';
import { parseApplicationSpec } from '@flotilla/manifests';
import { createTestDatabase, startOperatorModeNats, type OperatorModeNats, type TestDatabase } from '@flotilla/testing';
import { AppModule } from '../../app.module';
import { randomIds } from '../../common/clock';
import { loadHubConfig } from '../../config/hub.config';
import { openHubDatabase, type HubDatabase } from '../../database/hub-data-source';
import { loadNatsConfig, NatsAuthority, NatsModule } from '../../nats';
import { SourceObserver } from '../../sources/observe-source/source-observer';
import { SOURCES_CONFIG, type SourcesConfig } from '../../sources/sources.config';
import { testAdminToken, TestClock } from '../../testing/hub-test-app';
import { DESIRED_STATE_CONFIG, type DesiredStateConfig } from '../desired-state.config';
import { DesiredStateService } from '../desired-state.service';

export interface DesiredTestHub {
  app: INestApplication;
  baseUrl: string;
  store: PostgresEventStore;
  desired: DesiredStateService;
  observer: SourceObserver;
  authority: NatsAuthority;
  nats: OperatorModeNats;
  database: TestDatabase;
  /** Appends an event as `actor` (the REST APIs of other capabilities are not needed here). */
  append(streamId: string, type: string, data: unknown, actor?: string): Promise<void>;
  /** As its agent would: `reported` is what it read from its API server (default v1.20.2, no API versions). */
  registerCluster(
    name: string,
    labels: Record<string, string>,
    reported?: { kubernetesVersion: string; apiVersions?: string[] },
  ): Promise<string>;
  /**
   * ApplicationCreated, after an admin's ApplicationPolicySet allowing every namespace and kind
   * (these tests are about planning and assigning; the policy has its own specs and e2e).
   */
  createApplication(name: string, spec: Record<string, unknown>, actor?: string): Promise<void>;
  addSource(name: string, url: string): Promise<void>;
  /** A NATS connection with the permissions of the cluster's agent. */
  connectAsAgent(clusterId: string): Promise<NatsConnection>;
  close(): Promise<void>;
}

/**
 * A hub with NATS (operator mode, its own server) on a fresh database, with the reactor
 * loop off: tests drive it with `desired.catchUp()` so each step is deterministic.
 */
export async function startDesiredTestHub(options: { maxBundleBytes?: number } = {}): Promise<DesiredTestHub> {
  const database = await createTestDatabase('hub_desired');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'flotilla-desired-git-'));
  let nats: OperatorModeNats | undefined;
  let hubDatabase: HubDatabase | undefined;
  let app: INestApplication | undefined;
  const connections: NatsConnection[] = [];
  try {
    nats = await startOperatorModeNats();
    const natsConfig = loadNatsConfig({
      FLOTILLA_HUB_NATS_URL: nats.url,
      FLOTILLA_HUB_NATS_OPERATOR_SEED: nats.operator.seed,
      FLOTILLA_HUB_NATS_ACCOUNT_SEED: nats.account.seed,
      FLOTILLA_HUB_NATS_SYSTEM_CREDS: nats.systemUserCreds,
      FLOTILLA_HUB_NATS_CREDS: nats.hubUserCreds,
      FLOTILLA_HUB_SIGNING_KEY: randomBytes(32).toString('base64url'),
    });
    const config = loadHubConfig({
      FLOTILLA_HUB_DATABASE_URL: database.url,
      FLOTILLA_HUB_ADMIN_TOKEN: testAdminToken,
      FLOTILLA_HUB_LOG_LEVEL: 'error',
    });
    hubDatabase = await openHubDatabase({ url: database.url, poolSize: 6, connectTimeoutMs: 10_000 });
    const sourcesConfig: SourcesConfig = {
      dataDir,
      credentialsDir: undefined,
      polling: false,
      allowLocalSources: true,
    };
    const desiredConfig: DesiredStateConfig = { maxBundleBytes: options.maxBundleBytes ?? 900 * 1024, reactor: false };
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          config,
          dataSource: hubDatabase.dataSource,
          eventStore: hubDatabase.eventStore,
          clock: new TestClock(),
          ids: randomIds,
          natsModules: [NatsModule.forConfig(natsConfig)],
        }),
      ],
    })
      .overrideProvider(SOURCES_CONFIG)
      .useValue(sourcesConfig)
      .overrideProvider(DESIRED_STATE_CONFIG)
      .useValue(desiredConfig)
      .compile();
    app = moduleRef.createNestApplication({ logger: ['fatal', 'error'] });
    await app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const store = hubDatabase.eventStore;
    const authority = app.get(NatsAuthority);
    const opened = { app, hubDatabase, nats };
    const append: DesiredTestHub['append'] = async (streamId, type, data, actor = 'user:test') => {
      await store.append(streamId, [{ type, data }], { expectedVersion: 'any', metadata: { actor } });
    };
    return {
      app,
      baseUrl,
      store,
      desired: app.get(DesiredStateService),
      observer: app.get(SourceObserver),
      authority,
      nats,
      database,
      append,
      async registerCluster(name, labels, reported = { kubernetesVersion: 'v1.20.2' }) {
        const clusterId = `c${randomBytes(8).toString('hex')}`;
        await append(
          `cluster-${clusterId}`,
          'ClusterRegistered',
          {
            clusterId,
            name,
            labels,
            publicKey: createUser().getPublicKey(),
            agentVersion: '0.1.0',
            kubernetesVersion: reported.kubernetesVersion,
            ...(reported.apiVersions ? { apiVersions: reported.apiVersions } : {}),
            tokenId: randomBytes(6).toString('hex'),
            registeredAt: new Date().toISOString(),
          },
          `agent:${clusterId}`,
        );
        return clusterId;
      },
      async createApplication(name, spec, actor = 'user:alice') {
        const parsed = parseApplicationSpec({
          apiVersion: 'flotilla.dev/v1',
          kind: 'Application',
          metadata: { name },
          spec,
        });
        const allowAll = { namespaces: ['*'], clusterScopedKinds: ['*'], namespacedKinds: ['*'] };
        await append(`policy-${name}`, 'ApplicationPolicySet', { application: name, policy: allowAll }, 'user:admin');
        await append(`application-${name}`, 'ApplicationCreated', { name, spec: parsed.spec }, actor);
      },
      async addSource(name, url) {
        const response = await fetch(`${baseUrl}/api/v1/sources`, {
          method: 'POST',
          headers: { authorization: `Bearer ${testAdminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, url }),
        });
        if (response.status !== 201)
          throw new Error(`adding source ${name}: ${response.status} ${await response.text()}`);
      },
      async connectAsAgent(clusterId) {
        const user = createUser();
        const jwt = await authority.mintClusterUserJwt(clusterId, user.getPublicKey());
        const nc = await connect({
          servers: opened.nats.url,
          authenticator: jwtAuthenticator(jwt, user.getSeed()),
          inboxPrefix: agentInboxPrefix(clusterId),
          timeout: 5_000,
        });
        connections.push(nc);
        return nc;
      },
      async close() {
        await Promise.allSettled(connections.map((nc) => nc.close()));
        await opened.app.close();
        await opened.hubDatabase.close();
        await opened.nats.dispose();
        await database.drop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.allSettled(connections.map((nc) => nc.close()));
    await app?.close().catch(() => undefined);
    await hubDatabase?.close().catch(() => undefined);
    await nats?.dispose().catch(() => undefined);
    await database.drop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
