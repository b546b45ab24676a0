import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import type { PostgresEventStore } from '@flotilla/event-store';
import type { DataSource } from 'typeorm';
import { AuthModule } from '../../auth/auth.module';
import { AuditModule } from '../../audit/audit.module';
import { ClustersModule } from '../../clusters/clusters.module';
import { randomIds, type Clock } from '../../common/clock';
import { loadHubConfig } from '../../config/hub.config';
import { openHubDatabase, type HubDatabase } from '../../database/hub-data-source';
import { DriftModule } from '../../drift/drift.module';
import { HttpErrorFilter } from '../../errors/http-error.filter';
import { HubCoreModule, type HubCoreOptions } from '../../hub-core.module';
import { ReadModelsService } from '../../projections/read-models.service';
import { testAdminToken } from '../../testing/hub-test-app';
import { TimeTravelModule } from '../../time-travel/time-travel.module';
import { HistoryModule } from '../history.module';

/**
 * The hub's query side over HTTP on a given database: the core (event store, read models),
 * auth, clusters and the history, drift, time-travel and audit modules, as AppModule wires them. The
 * rest of AppModule is left out on purpose: the desired-state reactor would re-render a
 * synthetic fleet log from git sources that do not exist, appending to the log under test.
 */
@Module({})
class QueriesTestModule {
  static forRoot(options: HubCoreOptions): DynamicModule {
    return {
      module: QueriesTestModule,
      imports: [
        HubCoreModule.forRoot(options),
        AuthModule.forRoot({ bootstrapAdminToken: testAdminToken }),
        // The CLI names clusters; it resolves them through GET /clusters.
        ClustersModule,
        HistoryModule,
        DriftModule,
        TimeTravelModule,
        AuditModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}

export interface QueriesResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test responses are asserted field by field
  body: any;
}

export interface QueriesTestHub {
  app: INestApplication;
  baseUrl: string;
  dataSource: DataSource;
  store: PostgresEventStore;
  readModels: ReadModelsService;
  /** GET with the bootstrap admin token (or `token`); JSON bodies parsed, NDJSON left in `text`. */
  get(path: string, options?: { token?: string | null; accept?: string }): Promise<QueriesResponse>;
  close(): Promise<void>;
}

export async function startQueriesTestHub(
  databaseUrl: string,
  options: { clock?: Clock } = {},
): Promise<QueriesTestHub> {
  let database: HubDatabase | undefined;
  let app: INestApplication | undefined;
  try {
    const config = loadHubConfig({
      FLOTILLA_HUB_DATABASE_URL: databaseUrl,
      FLOTILLA_HUB_ADMIN_TOKEN: testAdminToken,
      FLOTILLA_HUB_LOG_LEVEL: 'error',
    });
    database = await openHubDatabase({ url: databaseUrl, poolSize: 8, connectTimeoutMs: 10_000 });
    app = await NestFactory.create(
      QueriesTestModule.forRoot({
        config,
        dataSource: database.dataSource,
        eventStore: database.eventStore,
        clock: options.clock,
        ids: randomIds,
      }),
      { logger: ['fatal', 'error'], abortOnError: false },
    );
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const baseUrl = `http://127.0.0.1:${port}`;
    const opened = { app, database };
    return {
      app,
      baseUrl,
      dataSource: database.dataSource,
      store: database.eventStore,
      readModels: app.get(ReadModelsService),
      async get(path, request = {}) {
        const token = request.token === undefined ? testAdminToken : request.token;
        const response = await fetch(`${baseUrl}${path}`, {
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            accept: request.accept ?? 'application/json',
          },
        });
        const text = await response.text();
        const json = (response.headers.get('content-type') ?? '').includes('application/json');
        return {
          status: response.status,
          headers: response.headers,
          text,
          body: json && text ? JSON.parse(text) : undefined,
        };
      },
      async close() {
        await opened.app.close();
        await opened.database.close();
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    throw err;
  }
}
