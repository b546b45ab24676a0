import { Client } from 'pg';
import { startOwnPostgres, type OwnPostgres } from './own-postgres';

describe('startOwnPostgres', () => {
  let pg: OwnPostgres | undefined;
  afterAll(() => pg?.dispose());

  it('starts a cluster of its own, survives a SIGKILL of the postmaster, and keeps its data', async () => {
    pg = await startOwnPostgres();
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    await client.query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    const ended = new Promise((resolve) => client.on('error', resolve));

    await pg.kill();
    expect(await ended).toBeInstanceOf(Error);
    await expect(new Client({ connectionString: pg.url, connectionTimeoutMillis: 1000 }).connect()).rejects.toThrow();

    await pg.restart();
    const again = new Client({ connectionString: pg.url });
    await again.connect();
    try {
      expect((await again.query('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
    } finally {
      await again.end();
    }
  }, 120_000);
});
