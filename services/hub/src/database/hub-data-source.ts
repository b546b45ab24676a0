import * as pg from 'pg';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createPostgresEventStore, eventStoreMigrations, type PostgresEventStore } from '@flotilla/event-store';
import { CreateHubReadModels1764147600000 } from './create-hub-read-models.migration';
import { CreateSourcesReadModel1764237600000 } from '../sources/create-sources-read-model.migration';
import { CreateApplicationsReadModel1764324000000 } from '../applications/create-applications-read-model.migration';
import { AddHistoryIndexes1764403200000 } from '../history/add-history-indexes.migration';
import { CreateDriftReadModels1764406800000 } from '../drift/create-drift-read-models.migration';
import { CreateClusterStateHistory1764410400000 } from '../time-travel/create-cluster-state-history.migration';
import { CreateDesiredState1764500000000 } from '../desired-state/create-desired-state.migration';
import { CreateApplicationStatusReadModel1764600000000 } from '../applications/status/create-application-status-read-model.migration';
import { AddApplicationHealthMessage1764700000000 } from '../applications/status/add-application-health-message.migration';
import { RenameUnknownConnectionToPending1764800000000 } from '../clusters/rename-unknown-connection-to-pending.migration';
import { AddApplicationPolicies1764810000000 } from '../desired-state/add-application-policies.migration';
import { AddClusterCapabilities1764813000000 } from '../desired-state/add-cluster-capabilities.migration';

/** The hub's migrations after the event store's: the read models reference nothing in the log table, but order is fixed for reproducibility. */
export const hubMigrations = [
  ...eventStoreMigrations,
  CreateHubReadModels1764147600000,
  CreateSourcesReadModel1764237600000,
  CreateApplicationsReadModel1764324000000,
  AddHistoryIndexes1764403200000,
  CreateDriftReadModels1764406800000,
  CreateClusterStateHistory1764410400000,
  CreateDesiredState1764500000000,
  CreateApplicationStatusReadModel1764600000000,
  AddApplicationHealthMessage1764700000000,
  RenameUnknownConnectionToPending1764800000000,
  AddApplicationPolicies1764810000000,
  AddClusterCapabilities1764813000000,
];

/** Any fixed number; it names the lock that serialises hub replicas migrating one database. */
const migrationLockKey = 0x464c4d47;

/**
 * TypeORM takes no lock of its own: two replicas starting together would both run the same
 * migration. A session-level advisory lock, held on a connection of its own (outside the
 * pool, which may be a single connection) while the migrations run, makes the second replica
 * wait and then find nothing left to do.
 */
async function migrateExclusively(dataSource: DataSource, url: string, connectTimeoutMs: number): Promise<void> {
  const lock = new Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    // Closing the session releases the lock, also when a migration failed.
    await lock.end();
  }
}

export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface HubDatabase {
  dataSource: DataSource;
  eventStore: PostgresEventStore;
  close(): Promise<void>;
}

/** Connects, migrates the event store and the read models, and opens the event store on the same pool. */
export async function openHubDatabase(options: {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
}): Promise<HubDatabase> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    // Given, not left to TypeORM's dynamic require('pg'), which a bundle (the images) cannot see.
    driver: pg,
    migrations: hubMigrations,
    migrationsTransactionMode: 'each',
    extra: { max: options.poolSize, connectionTimeoutMillis: options.connectTimeoutMs },
  });
  try {
    await dataSource.initialize();
  } catch (err) {
    const where = new URL(options.url);
    throw new DatabaseUnavailableError(
      `cannot reach Postgres at ${where.host}${where.pathname} (FLOTILLA_HUB_DATABASE_URL): ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    await migrateExclusively(dataSource, options.url, options.connectTimeoutMs);
    const eventStore = await createPostgresEventStore({ dataSource, migrate: false });
    return {
      dataSource,
      eventStore,
      async close() {
        await eventStore.close();
        if (dataSource.isInitialized) await dataSource.destroy();
      },
    };
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
}
