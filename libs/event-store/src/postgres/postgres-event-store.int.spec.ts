import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { EventMetadata, RecordedEvent } from '../event-store.port';
import { EventStoreNotMigratedError, WrongExpectedVersionError } from '../errors';
import { eventStoreMigrations } from './migrations';
import { createPostgresEventStore, type PostgresEventStore } from './postgres-event-store';
import { buildReadAllQuery } from './sql';

const meta: EventMetadata = { actor: 'user:alice' };

describe('PostgresEventStore (real Postgres)', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let admin: Client;

  beforeEach(async () => {
    db = await createTestDatabase('es_pg');
    store = await createPostgresEventStore({
      url: db.url,
      poolSize: 10,
      secretFields: { ClusterRegistered: ['token'] },
    });
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });

  afterEach(async () => {
    await admin?.end();
    await store?.close();
    await db?.drop();
  });

  async function seed(count: number): Promise<RecordedEvent[]> {
    for (let i = 1; i <= count; i++) {
      await store.append(`s-${i % 2}`, [{ type: 'Seeded', data: { i } }], { expectedVersion: 'any', metadata: meta });
    }
    return store.readAll();
  }

  describe('append-only, enforced by the database', () => {
    it.each([
      ['UPDATE', `UPDATE events SET type = 'Forged'`],
      ['UPDATE of no row', `UPDATE events SET type = 'Forged' WHERE position < 0`],
      ['DELETE', `DELETE FROM events`],
      ['TRUNCATE', `TRUNCATE events`],
    ])('refuses %s', async (_what, sql) => {
      await seed(2);
      await expect(admin.query(sql)).rejects.toThrow(/append-only/);
      const rows = await admin.query(`SELECT type FROM events ORDER BY position`);
      expect(rows.rows.map((r) => r.type)).toEqual(['Seeded', 'Seeded']);
    });
  });

  describe('tamper evidence', () => {
    it('names the exact position of an event edited behind the trigger', async () => {
      const events = await seed(6);
      const target = events[3]!.position;
      await admin.query(`SET session_replication_role = replica`);
      await admin.query(`UPDATE events SET data = '{"i": 999}' WHERE position = $1`, [target]);
      await admin.query(`SET session_replication_role = origin`);
      const result = await store.verify({ batchSize: 2 });
      expect(result).toMatchObject({ ok: false, brokenAt: target, checked: 3 });
      expect(result.ok === false && result.reason).toMatch(/altered/);
    });

    it('names the event after one deleted behind the trigger', async () => {
      const events = await seed(5);
      await admin.query(`ALTER TABLE events DISABLE TRIGGER events_append_only`);
      await admin.query(`DELETE FROM events WHERE position = $1`, [events[1]!.position]);
      await admin.query(`ALTER TABLE events ENABLE TRIGGER events_append_only`);
      const result = await store.verify();
      expect(result).toMatchObject({ ok: false, brokenAt: events[2]!.position, checked: 1 });
      expect(result.ok === false && result.reason).toMatch(/prev_hash/);
    });

    it.each([
      ['a microsecond (below what a Date holds)', '1 microsecond'],
      ['a millisecond', '1 millisecond'],
    ])('detects a recorded time moved by %s', async (_what, interval) => {
      const events = await seed(3);
      await admin.query(`SET session_replication_role = replica`);
      await admin.query(`UPDATE events SET recorded_at = recorded_at + $2::interval WHERE position = $1`, [
        events[1]!.position,
        interval,
      ]);
      await admin.query(`SET session_replication_role = origin`);
      expect(await store.verify()).toMatchObject({ ok: false, brokenAt: events[1]!.position, checked: 1 });
    });
  });

  describe('secrets', () => {
    it('never stores a listed secret field, not even in the raw row', async () => {
      await store.append('c', [{ type: 'ClusterRegistered', data: { name: 'eu', token: 'hunter2-one-time' } }], {
        expectedVersion: 0,
        metadata: meta,
      });
      const { rows } = await admin.query(`SELECT data::text AS data FROM events`);
      expect(rows[0].data).toContain('[REDACTED]');
      expect(rows[0].data).not.toContain('hunter2');
    });
  });

  describe('concurrency', () => {
    it('maps a unique-violation race (a writer that bypassed the lock) to WrongExpectedVersionError', async () => {
      await admin.query('BEGIN');
      await admin.query(
        `INSERT INTO events (stream_id, version, id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
         VALUES ('raced', 1, gen_random_uuid(), 'Sneaky', 1, '{}', '{"actor":"x"}', now(), repeat('0', 64), repeat('1', 64))`,
      );
      // The store sees version 0 and then blocks on the uncommitted row's unique key.
      const append = store.append('raced', [{ type: 'A', data: {} }], { expectedVersion: 0, metadata: meta });
      const settled = append.then(
        () => 'resolved',
        (err: unknown) => err,
      );
      await waitFor(async () => {
        const { rows } = await admin.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows[0].n > 0;
      });
      await admin.query('COMMIT');
      const err = await settled;
      expect(err).toBeInstanceOf(WrongExpectedVersionError);
      expect(err).toMatchObject({ streamId: 'raced', expected: 0, actual: 1 });
    });

    it('keeps positions visible in order: a reader resuming after the highest position it saw misses nothing', async () => {
      const writers = 8;
      const appendsPerWriter = 50;
      const appended: number[] = [];
      let writing = true;
      const seen: number[] = [];
      const reader = (async () => {
        let after = 0;
        for (;;) {
          const done = !writing;
          const page = await store.readAll({ after, limit: 100 });
          for (const event of page) seen.push(event.position);
          if (page.length > 0) after = page.at(-1)!.position;
          else if (done) return;
        }
      })();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < appendsPerWriter; i++) {
            const result = await store.append(`writer-${w}`, [{ type: 'Wrote', data: { w, i } }], {
              expectedVersion: i,
              metadata: meta,
            });
            appended.push(...result.positions);
          }
        }),
      ).finally(() => (writing = false));
      await reader;

      expect(appended).toHaveLength(writers * appendsPerWriter);
      expect(seen).toHaveLength(appended.length);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
      expect(new Set(seen)).toEqual(new Set(appended));
      expect(await store.verify()).toMatchObject({ ok: true, checked: writers * appendsPerWriter });
    }, 120_000);
  });

  describe('indexes', () => {
    async function plan(options: Parameters<typeof buildReadAllQuery>[0]): Promise<string> {
      const { text, values } = buildReadAllQuery(options);
      await admin.query('BEGIN');
      try {
        // The tables are tiny here: forbid sequential scans so the plan shows whether an index can serve.
        await admin.query('SET LOCAL enable_seqscan = off');
        const { rows } = await admin.query(`EXPLAIN ${text}`, values);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await admin.query('ROLLBACK');
      }
    }

    it('serves stream prefix, type, time range and stream reads from indexes', async () => {
      await seed(20);
      await admin.query('ANALYZE events');
      expect(await plan({ streamPrefix: 'cluster-', after: 10 })).toContain('events_stream_version_key');
      // A rare type (not one of the 20 seeded): the planner should go to the type index, not filter the log.
      expect(await plan({ types: ['ClusterRegistered'], after: 10 })).toContain('events_type_position_idx');
      expect(await plan({ after: 10 })).toContain('events_pkey');
      await admin.query('BEGIN');
      await admin.query('SET LOCAL enable_seqscan = off');
      const { rows } = await admin.query(
        `EXPLAIN SELECT * FROM events WHERE stream_id = 's-1' AND version >= 2 ORDER BY version`,
      );
      await admin.query('ROLLBACK');
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('events_stream_version_key');
    });

    it('serves a narrow time range from the BRIN index on a log spread over time', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const timed = await createPostgresEventStore({ url: db.url, clock: () => new Date(now) });
      try {
        for (let minute = 0; minute < 60; minute++) {
          const events = Array.from({ length: 100 }, (_, i) => ({ type: 'Tick', data: { minute, i } }));
          await timed.append(`clock-${minute}`, events, { expectedVersion: 0, metadata: meta });
          now += 60_000;
        }
      } finally {
        await timed.close();
      }
      await admin.query('ANALYZE events');
      const from = new Date('2026-01-01T00:30:00Z');
      const to = new Date('2026-01-01T00:32:00Z');
      // No planner settings forced here: with 6,000 rows the BRIN index is the cheaper path.
      const { text, values } = buildReadAllQuery({ from, to });
      const { rows } = await admin.query(`EXPLAIN ${text}`, values);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('events_recorded_at_idx');
      expect((await store.readAll({ from, to })).map((e) => (e.data as { minute: number }).minute)).toEqual([
        ...Array(100).fill(30),
        ...Array(100).fill(31),
      ]);
    });
  });

  describe('migrations', () => {
    it('runs from a caller-owned DataSource beside its own migrations, and refuses an unmigrated database', async () => {
      const other = await createTestDatabase('es_mig');
      const dataSource = new DataSource({ type: 'postgres', url: other.url, migrations: eventStoreMigrations });
      try {
        await dataSource.initialize();
        await expect(createPostgresEventStore({ dataSource })).rejects.toBeInstanceOf(EventStoreNotMigratedError);
        expect(await dataSource.runMigrations()).toHaveLength(1);
        const owned = await createPostgresEventStore({ dataSource });
        await owned.append('s', [{ type: 'A', data: {} }], { expectedVersion: 0, metadata: meta });
        await owned.close();
        // The store does not close a DataSource it does not own.
        expect(dataSource.isInitialized).toBe(true);
        await dataSource.undoLastMigration();
        const { 0: row } = await dataSource.query(`SELECT to_regclass('events') AS t`);
        expect(row.t).toBeNull();
      } finally {
        if (dataSource.isInitialized) await dataSource.destroy();
        await other.drop();
      }
    });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
