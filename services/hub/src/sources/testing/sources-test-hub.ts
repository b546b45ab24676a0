import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import type { PostgresEventStore, RecordedEvent } from '@flotilla/event-store';
import { AppModule } from '../../app.module';
import { randomIds } from '../../common/clock';
import { loadHubConfig } from '../../config/hub.config';
import { openHubDatabase, type HubDatabase } from '../../database/hub-data-source';
import { testAdminToken, TestClock, type TestResponse } from '../../testing/hub-test-app';
import { SourceObserver } from '../observe-source/source-observer';
import { SOURCES_CONFIG, type SourcesConfig } from '../sources.config';
import { SourcesReadModel } from '../sources.read-model';

export interface SourcesTestHub {
  app: INestApplication;
  baseUrl: string;
  store: PostgresEventStore;
  commands: CommandBus;
  observer: SourceObserver;
  readModel: SourcesReadModel;
  clock: TestClock;
  dataDir: string;
  credentialsDir: string;
  /** fetch with the bootstrap admin token by default; `rawBody` is sent byte for byte. */
  request(
    method: string,
    urlPath: string,
    options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  /** Writes a secret file that credentialsRef / webhookSecretRef can name. */
  writeSecret(ref: string, value: string): Promise<void>;
  /** Events of a source's stream. */
  events(source: string): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/**
 * A hub (HTTP + sources, no NATS) on the given database with its own git data and
 * credentials directories: several of them on one database are several replicas.
 */
export async function startSourcesTestHub(
  databaseUrl: string,
  options: { polling?: boolean } = {},
): Promise<SourcesTestHub> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'flotilla-git-data-'));
  const credentialsDir = await mkdtemp(path.join(tmpdir(), 'flotilla-git-creds-'));
  const sourcesConfig: SourcesConfig = {
    dataDir,
    credentialsDir,
    polling: options.polling ?? true,
    allowLocalSources: true,
  };
  let database: HubDatabase | undefined;
  let app: INestApplication | undefined;
  try {
    const config = loadHubConfig({
      FLOTILLA_HUB_DATABASE_URL: databaseUrl,
      FLOTILLA_HUB_ADMIN_TOKEN: testAdminToken,
      FLOTILLA_HUB_LOG_LEVEL: 'error',
    });
    database = await openHubDatabase({ url: databaseUrl, poolSize: 4, connectTimeoutMs: 10_000 });
    const clock = new TestClock();
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppModule.forRoot({
          config,
          dataSource: database.dataSource,
          eventStore: database.eventStore,
          clock,
          ids: randomIds,
        }),
      ],
    })
      .overrideProvider(SOURCES_CONFIG)
      .useValue(sourcesConfig)
      .compile();
    // rawBody as in hub.app.ts: the webhook verifies signatures over the bytes received.
    app = moduleRef.createNestApplication({ rawBody: true, logger: ['fatal', 'error'] });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const opened = { app, database };
    const store = database.eventStore;
    return {
      app,
      baseUrl,
      store,
      commands: app.get(CommandBus),
      observer: app.get(SourceObserver),
      readModel: app.get(SourcesReadModel),
      clock,
      dataDir,
      credentialsDir,
      async request(method, urlPath, req = {}) {
        const token = req.token === undefined ? testAdminToken : req.token;
        const body = req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
        const response = await fetch(`${baseUrl}${urlPath}`, {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(req.headers ?? {}),
          },
          body,
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : undefined };
      },
      async writeSecret(ref, value) {
        await writeFile(path.join(credentialsDir, ref), value, { mode: 0o600 });
      },
      events: (source) => store.readStream(`source-${source}`),
      async close() {
        await opened.app.close();
        await opened.database.close();
        await rm(dataDir, { recursive: true, force: true });
        await rm(credentialsDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    await rm(credentialsDir, { recursive: true, force: true });
    throw err;
  }
}

/** Polls `read` until `ok` holds or the (generous, bounded) deadline passes; returns the last value. */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const typesOf = (events: RecordedEvent[]) => events.map((e) => e.type);
export const observedShas = (events: RecordedEvent[]) =>
  events.filter((e) => e.type === 'CommitObserved').map((e) => (e.data as { sha: string }).sha);
