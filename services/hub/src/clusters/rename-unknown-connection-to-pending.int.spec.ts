import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { CreateHubReadModels1764147600000 } from '../database/create-hub-read-models.migration';
import { RenameUnknownConnectionToPending1764800000000 } from './rename-unknown-connection-to-pending.migration';

describe('RenameUnknownConnectionToPending (real Postgres)', () => {
  let db: TestDatabase;
  let client: Client;
  beforeEach(async () => {
    db = await createTestDatabase('hub_pending');
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
  });

  const runner = () => ({ query: (sql: string) => client.query(sql) }) as never;
  const insert = (id: string, connection: string) =>
    client.query(
      `INSERT INTO hub_clusters (cluster_id, name, labels, public_key, agent_version, kubernetes_version, registered_at, registered_by_token, connection, position)
       VALUES ($1, $1, '{}', 'k', 'v', 'v', now(), 't', $2, 1)`,
      [id, connection],
    );

  it('rewrites stored unknown as pending, keeps the others, and refuses unknown afterwards', async () => {
    await new CreateHubReadModels1764147600000().up(runner());
    await insert('c1', 'unknown');
    await insert('c2', 'connected');
    await new RenameUnknownConnectionToPending1764800000000().up(runner());
    const { rows } = await client.query('SELECT cluster_id, connection FROM hub_clusters ORDER BY cluster_id');
    expect(rows).toEqual([
      { cluster_id: 'c1', connection: 'pending' },
      { cluster_id: 'c2', connection: 'connected' },
    ]);
    await expect(insert('c3', 'unknown')).rejects.toThrow(/hub_clusters_connection_check/);
  });
});
