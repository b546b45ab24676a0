import { createHash } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import type { PostgresEventStore } from '@flotilla/event-store';
import { randomIds, type Clock } from '../common/clock';
import { loadHubConfig } from '../config/hub.config';
import { openHubDatabase, type HubDatabase } from '../database/hub-data-source';
import { createHubApp } from '../hub.app';

/** A settable clock, so expiry is tested without sleeping. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const testAdminToken = 'test-admin-token-0123456789abcdefghijklmnop';

export interface TestResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test responses are asserted field by field
  body: any;
}

export interface HubTestApp {
  app: INestApplication;
  baseUrl: string;
  store: PostgresEventStore;
  commands: CommandBus;
  clock: TestClock;
  database: TestDatabase;
  /** fetch against the app with a bearer token (the bootstrap admin by default); JSON in and out. */
  request(method: string, path: string, options?: { token?: string | null; body?: unknown }): Promise<TestResponse>;
  close(): Promise<void>;
}

/** The hub's HTTP app on a fresh database of the real Postgres, without NATS. */
export async function startHubTestApp(): Promise<HubTestApp> {
  const database = await createTestDatabase('hub_api');
  let hubDatabase: HubDatabase | undefined;
  let app: INestApplication | undefined;
  try {
    const config = loadHubConfig({
      FLOTILLA_HUB_DATABASE_URL: database.url,
      FLOTILLA_HUB_ADMIN_TOKEN: testAdminToken,
      FLOTILLA_HUB_LOG_LEVEL: 'error',
    });
    hubDatabase = await openHubDatabase({ url: database.url, poolSize: 4, connectTimeoutMs: 10_000 });
    const clock = new TestClock();
    app = await createHubApp({
      config,
      dataSource: hubDatabase.dataSource,
      eventStore: hubDatabase.eventStore,
      clock,
      ids: randomIds,
    });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const opened = { app, hubDatabase };
    return {
      app,
      baseUrl,
      store: hubDatabase.eventStore,
      commands: app.get(CommandBus),
      clock,
      database,
      async request(method, path, options = {}) {
        const token = options.token === undefined ? testAdminToken : options.token;
        const response = await fetch(`${baseUrl}${path}`, {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body:
            options.body === undefined
              ? undefined
              : typeof options.body === 'string'
                ? options.body
                : JSON.stringify(options.body),
        });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : undefined };
      },
      async close() {
        await opened.app.close();
        await opened.hubDatabase.close();
        await database.drop();
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await hubDatabase?.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw err;
  }
}

/**
 * A syntactically valid NATS user public key (the hub checks the shape; agents make real
 * ones), distinct per seed: the hub refuses a key that another cluster already has.
 */
export function fakeUserPublicKey(seed: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = createHash('sha512').update(`fake user key ${seed}`).digest();
  let key = 'U';
  for (let i = 0; i < 55; i++) key += alphabet[bytes[i]! % 32];
  return key;
}
