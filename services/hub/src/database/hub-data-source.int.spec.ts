import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { hubMigrations, openHubDatabase } from './hub-data-source';

describe('openHubDatabase (real Postgres)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('hub_db');
  });
  afterEach(async () => {
    await db.drop();
  });

  it('lets replicas that start together on a fresh database migrate it once, without failing', async () => {
    const open = () => openHubDatabase({ url: db.url, poolSize: 3, connectTimeoutMs: 10_000 });
    const replicas = await Promise.all([open(), open(), open()]);
    try {
      const applied: Array<{ name: string }> = await replicas[0]!.dataSource.query('SELECT name FROM migrations');
      expect(applied.map((m) => m.name).sort()).toEqual(hubMigrations.map((m) => m.name).sort());
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it('migrates with a pool of one connection (the one-shot commands use that)', async () => {
    const hub = await openHubDatabase({ url: db.url, poolSize: 1, connectTimeoutMs: 5_000 });
    try {
      const applied: unknown[] = await hub.dataSource.query('SELECT name FROM migrations');
      expect(applied).toHaveLength(hubMigrations.length);
    } finally {
      await hub.close();
    }
  });
});
