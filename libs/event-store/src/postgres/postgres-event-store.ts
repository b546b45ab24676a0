// The event store on Postgres: one append-only, hash-chained `events` table. Appends are
// serialised by a transaction-level advisory lock (see sql.ts for why that also keeps
// positions visible in order); reads go straight to the table through its indexes.

import { randomUUIDv7 } from 'node:crypto';
import type { PoolClient, QueryResult } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamWrite,
  VerifyResult,
} from '../event-store.port';
import {
  AppendLockTimeoutError,
  DuplicateEventIdError,
  EventStoreError,
  EventStoreNotMigratedError,
  InvalidEventError,
  WrongExpectedVersionError,
} from '../errors';
import { appendLockTimeoutMs } from '../durations';
import { ChainVerifier } from '../core/chain-verifier';
import { genesisHash } from '../core/event-hash';
import {
  checkExpectedVersions,
  countEvents,
  prepareWrites,
  sealEvents,
  validateStreamId,
  type PreparedWrite,
  type SealedEvent,
} from '../core/prepare-append';
import { validateReadAllOptions } from '../core/read-options';
import { validateSecretFields, type SecretFields } from '../core/redaction';
import { UpcasterChain, type Upcaster } from '../core/upcasting';
import type { EventStoreOptions } from '../core/store-options';
import { AppendNotifier } from './append-notifier';
import { consoleLogger, type EventStoreLogger } from './logger';
import { eventStoreMigrations } from './migrations';
import { buildReadAllQuery, eventColumns, insertEventsSql, lockAndPrepareAppendSql } from './sql';
import * as pg from 'pg';

export interface PostgresEventStoreOptions extends EventStoreOptions {
  /** A DataSource the caller owns (the hub's, which runs `eventStoreMigrations` with its own). */
  dataSource?: DataSource;
  /** Or a connection string: the store then creates, migrates and owns its DataSource. */
  url?: string;
  /** Run `eventStoreMigrations` at creation; default true only when the store owns the DataSource. */
  migrate?: boolean;
  /** Pool size of a DataSource created from `url`; default 10 (pg's default). */
  poolSize?: number;
  logger?: EventStoreLogger;
}

/** Page size of verify() when the caller gives none. */
export const defaultVerifyBatchSize = 1_000;

/** Anything that runs SQL: the DataSource, or a transaction's EntityManager. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  if ((options.dataSource === undefined) === (options.url === undefined)) {
    throw new InvalidEventError('createPostgresEventStore needs exactly one of dataSource or url');
  }
  let dataSource = options.dataSource;
  const owned = dataSource === undefined;
  if (!dataSource) {
    dataSource = new DataSource({
      type: 'postgres',
      url: options.url,
      // Given, not left to TypeORM's dynamic require('pg'), which a bundle (the images) cannot see.
      driver: pg,
      migrations: eventStoreMigrations,
      migrationsTransactionMode: 'each',
      extra: { max: options.poolSize ?? 10 },
    });
  }
  if (!dataSource.isInitialized) await dataSource.initialize();
  try {
    if (options.migrate ?? owned) await dataSource.runMigrations({ transaction: 'each' });
    const store = new PostgresEventStore(dataSource, options, owned);
    await store.assertMigrated();
    return store;
  } catch (err) {
    if (owned) await dataSource.destroy();
    throw err;
  }
}

export class PostgresEventStore implements EventStore {
  readonly notifier: AppendNotifier;
  readonly logger: EventStoreLogger;
  private readonly secretFields: SecretFields;
  private readonly upcasters: UpcasterChain;
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(
    readonly dataSource: DataSource,
    options: EventStoreOptions & { logger?: EventStoreLogger } = {},
    private readonly ownsDataSource = false,
  ) {
    if (dataSource.options.type !== 'postgres') {
      throw new InvalidEventError(
        `the Postgres event store needs a postgres DataSource, got ${dataSource.options.type}`,
      );
    }
    this.secretFields = options.secretFields ?? {};
    validateSecretFields(this.secretFields);
    this.upcasters = new UpcasterChain(options.upcasters);
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUIDv7;
    this.logger = options.logger ?? consoleLogger;
    this.notifier = new AppendNotifier(() => this.obtainConnection(), this.logger);
  }

  registerUpcaster(upcaster: Upcaster): void {
    this.upcasters.register(upcaster);
  }

  async assertMigrated(): Promise<void> {
    const [row] = await this.dataSource.query(
      `SELECT to_regclass('events') IS NOT NULL AS events, to_regclass('projection_checkpoints') IS NOT NULL AS checkpoints`,
    );
    if (!row.events || !row.checkpoints) {
      throw new EventStoreNotMigratedError('the event store tables are missing: run eventStoreMigrations');
    }
  }

  /** Loops running on this store (projection runners): close() stops them before the pool goes. */
  private readonly backgroundLoops = new Set<{ stop(): Promise<void> }>();

  /** Registers a background loop; returns its deregistration. */
  trackBackgroundLoop(loop: { stop(): Promise<void> }): () => void {
    this.backgroundLoops.add(loop);
    return () => this.backgroundLoops.delete(loop);
  }

  /**
   * Stops the background loops on this store, the LISTEN connection, and the DataSource if the
   * store created it. Loops first: one still polling a closed pool would fail and log forever.
   */
  async close(): Promise<void> {
    await Promise.all([...this.backgroundLoops].map((loop) => loop.stop().catch(() => undefined)));
    this.notifier.close();
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  async append(
    streamId: string,
    events: NewEvent[],
    options: { expectedVersion: ExpectedVersion; metadata: EventMetadata },
  ): Promise<AppendResult> {
    return this.appendMany([{ streamId, events, expectedVersion: options.expectedVersion }], options);
  }

  async appendMany(writes: StreamWrite[], options: { metadata: EventMetadata }): Promise<AppendResult> {
    const prepared = prepareWrites(writes, options.metadata, { secretFields: this.secretFields, newId: this.newId });
    const streamIds = prepared.map((write) => write.streamId);
    const total = countEvents(prepared);
    const [client, release] = await this.obtainConnection();
    let releaseError: unknown;
    try {
      try {
        const results = (await client.query(
          lockAndPrepareAppendSql(
            streamIds.map((id) => client.escapeLiteral(id)),
            total,
            appendLockTimeoutMs,
          ),
        )) as unknown as QueryResult[];
        const head = results.at(-1)!.rows[0] as {
          head_hash: string | null;
          versions: number[];
          position_range: string[];
        };
        checkExpectedVersions(prepared, head.versions);
        const first = Number(head.position_range[0] ?? 0);
        const positions = Array.from({ length: total }, (_, i) => first + i);
        // Read after the lock: recorded times then follow positions (on one clock).
        const sealed = sealEvents(prepared, head.versions, positions, head.head_hash ?? genesisHash, this.clock());
        if (sealed.length > 0) {
          await client.query(insertEventsSql, [
            rowsAsJson(sealed),
            sealed[0]!.recordedAt.toISOString(),
            String(sealed.at(-1)!.position),
          ]);
        }
        await client.query('COMMIT');
        const versions: Record<string, number> = {};
        prepared.forEach((write, i) => (versions[write.streamId] = head.versions[i]! + write.events.length));
        return { versions, positions };
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          releaseError = rollbackError;
        }
        throw await this.translateAppendError(err, prepared);
      }
    } finally {
      // A connection whose rollback failed is destroyed rather than returned to the pool.
      release(releaseError);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateStreamId(streamId);
    const fromVersion = options.fromVersion ?? 1;
    const values: unknown[] = [streamId, fromVersion];
    let sql = `SELECT ${eventColumns} FROM events WHERE stream_id = $1 AND version >= $2 ORDER BY version`;
    if (options.limit !== undefined) {
      if (!Number.isInteger(options.limit) || options.limit < 1)
        throw new InvalidEventError(`limit ${options.limit} is invalid`);
      values.push(options.limit);
      sql += ` LIMIT $3`;
    }
    const rows = await this.dataSource.query(sql, values);
    return rows.map((row: EventRow) => this.upcasters.apply(toRecordedEvent(row)));
  }

  async streamVersion(streamId: string): Promise<number> {
    validateStreamId(streamId);
    const [row] = await this.dataSource.query(
      `SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1`,
      [streamId],
    );
    return Number(row.version);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readAllWith(this.dataSource, options);
  }

  /** readAll inside a given transaction (the projection runner reads where it writes). */
  async readAllWith(queryable: Queryable | EntityManager, options: ReadAllOptions): Promise<RecordedEvent[]> {
    validateReadAllOptions(options);
    const { text, values } = buildReadAllQuery(options);
    const rows = (await queryable.query(text, values)) as EventRow[];
    return rows.map((row) => this.upcasters.apply(toRecordedEvent(row)));
  }

  async headPosition(queryable: Queryable | EntityManager = this.dataSource): Promise<number> {
    const [row] = (await queryable.query(`SELECT coalesce(max(position), 0) AS position FROM events`)) as Array<{
      position: string;
    }>;
    return Number(row.position);
  }

  async verify(options: { batchSize?: number } = {}): Promise<VerifyResult> {
    const batchSize = options.batchSize ?? defaultVerifyBatchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new InvalidEventError(`batch size ${batchSize} is invalid`);
    const verifier = new ChainVerifier();
    let after = 0;
    for (;;) {
      // sub_ms: a Date holds ms only, so a recorded time altered below the ms would read back
      // unchanged; the store only ever writes whole ms, so any remainder is tampering.
      const rows: Array<EventRow & { sub_ms: string }> = await this.dataSource.query(
        `SELECT ${eventColumns}, (extract(microseconds FROM recorded_at)::bigint % 1000) AS sub_ms
         FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
        [after, batchSize],
      );
      for (const row of rows) {
        if (Number(row.sub_ms) !== 0) {
          verifier.fail(
            Number(row.position),
            'recorded_at has sub-millisecond digits the hash cannot cover (the event was altered)',
          );
          return verifier.result();
        }
        // Raw rows, never upcast: the hash covers the stored shape.
        if (!verifier.feed(toRecordedEvent(row))) return verifier.result();
      }
      if (rows.length < batchSize) return verifier.result();
      after = Number(rows.at(-1)!.position);
    }
  }

  private async obtainConnection(): Promise<[PoolClient, (err?: unknown) => void]> {
    const driver = this.dataSource.driver as unknown as {
      obtainMasterConnection(): Promise<[PoolClient, (err?: unknown) => void]>;
    };
    return driver.obtainMasterConnection();
  }

  private async translateAppendError(err: unknown, writes: PreparedWrite[]): Promise<unknown> {
    if (err instanceof EventStoreError) return err;
    const pgError = err as { code?: string; constraint?: string; detail?: string };
    if (pgError.code === '55P03') {
      return new AppendLockTimeoutError(`an append waited more than ${appendLockTimeoutMs} ms for the append lock`, {
        cause: err,
      });
    }
    if (pgError.code === '23505' && pgError.constraint === 'events_id_key') {
      const id = /\(id\)=\(([0-9a-f-]+)\)/.exec(pgError.detail ?? '')?.[1] ?? 'unknown';
      // Which event holds the id, so a caller can tell its own retry from an id taken by another.
      const rows: Array<{ stream_id: string; type: string }> =
        id === 'unknown'
          ? []
          : await this.dataSource.query(`SELECT stream_id, type FROM events WHERE id = $1`, [id]).catch(() => []);
      const recorded = rows[0] ? { streamId: rows[0].stream_id, type: rows[0].type } : undefined;
      return new DuplicateEventIdError(id, { cause: err, ...(recorded ? { recorded } : {}) });
    }
    if (pgError.code === '23505' && pgError.constraint === 'events_stream_version_key') {
      // Another writer got there first (only possible for writers that bypass the append
      // lock): report it as the same conflict the version check would have raised.
      try {
        const actual = await Promise.all(writes.map((write) => this.streamVersion(write.streamId)));
        const index = Math.max(
          0,
          writes.findIndex((write, i) => write.expectedVersion !== actual[i]),
        );
        return new WrongExpectedVersionError(writes[index]!.streamId, writes[index]!.expectedVersion, actual[index]!, {
          cause: err,
        });
      } catch {
        return new WrongExpectedVersionError(writes[0]!.streamId, writes[0]!.expectedVersion, -1, { cause: err });
      }
    }
    return err;
  }
}

/** The JSON array `insertEventsSql` reads; dataText and metadataText are already JSON. */
function rowsAsJson(sealed: readonly SealedEvent[]): string {
  const parts = sealed.map(
    (e) =>
      `{"p":${e.position},"s":${JSON.stringify(e.streamId)},"v":${e.version},"i":"${e.id}","t":${JSON.stringify(e.type)}` +
      `,"sv":${e.schemaVersion},"d":${e.dataText},"m":${e.metadataText},"ph":"${e.prevHash}","h":"${e.hash}"}`,
  );
  return `[${parts.join(',')}]`;
}

interface EventRow {
  position: string | number;
  stream_id: string;
  version: number;
  id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
  prev_hash: string;
  hash: string;
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    position: Number(row.position),
    streamId: row.stream_id,
    version: row.version,
    id: row.id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
    hash: row.hash,
    prevHash: row.prev_hash,
  };
}
