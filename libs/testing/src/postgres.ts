import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server the integration tests use; CI and the project machines run it on loopback. */
export const testPostgresUrl = process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** Connection string of a database that exists only for this test. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function connectAdmin(): Promise<Client> {
  const client = new Client({ connectionString: testPostgresUrl });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Postgres is not answering at ${testPostgresUrl}: ${(err as Error).message}. ` +
        'Start it with `bash scripts/ensure-services.sh` (or set FLOTILLA_TEST_DATABASE_URL).',
      { cause: err },
    );
  }
  return client;
}

/**
 * Creates a fresh database with a unique name, so that concurrent test files and
 * concurrent runs never see each other's rows.
 */
export async function createTestDatabase(prefix = 'flotilla_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = await connectAdmin();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = await connectAdmin();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
