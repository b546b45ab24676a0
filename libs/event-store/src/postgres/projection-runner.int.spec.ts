import { createTestDatabase, type TestDatabase } from '@flotilla/testing';
import type { EntityManager } from 'typeorm';
import type { EventMetadata, RecordedEvent } from '../event-store.port';
import { ProjectionFailedError } from '../errors';
import type { EventStoreLogger } from './logger';
import { createPostgresEventStore, type PostgresEventStore } from './postgres-event-store';
import { ProjectionRunner, type Projection } from './projection-runner';

const meta: EventMetadata = { actor: 'system:test' };

/** A read model in its own table: one row per event seen, so double or missed applies show. */
class SeenProjection implements Projection {
  failOn: number | undefined;
  batches: number[] = [];
  constructor(
    readonly name: string,
    readonly handles?: string[],
  ) {}

  async ensureTable(store: PostgresEventStore): Promise<void> {
    await store.dataSource.query(
      `CREATE TABLE IF NOT EXISTS seen (position bigint PRIMARY KEY, projection text NOT NULL, type text, data jsonb)`,
    );
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    this.batches.push(events.length);
    for (const event of events) {
      // Written before the failure on purpose: the failed batch must leave no trace.
      await tx.query(`INSERT INTO seen (position, projection, type, data) VALUES ($1, $2, $3, $4)`, [
        event.position,
        this.name,
        event.type,
        JSON.stringify(event.data),
      ]);
      if ((event.data as { n?: number }).n === this.failOn) throw new Error(`cannot project n=${this.failOn}`);
    }
  }

  async reset(tx: EntityManager): Promise<void> {
    await tx.query(`DELETE FROM seen WHERE projection = $1`, [this.name]);
  }
}

describe('ProjectionRunner (real Postgres)', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const logged: Array<{ level: string; message: string }> = [];
  const logger: EventStoreLogger = {
    warn: (message) => logged.push({ level: 'warn', message }),
    error: (message) => logged.push({ level: 'error', message }),
  };
  const runners: ProjectionRunner[] = [];

  beforeEach(async () => {
    logged.length = 0;
    db = await createTestDatabase('es_proj');
    store = await createPostgresEventStore({
      url: db.url,
      logger,
      upcasters: [
        { type: 'Numbered', fromSchemaVersion: 1, upcast: (data: { n: number }) => ({ ...data, upcast: true }) },
      ],
    });
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await store?.close();
    await db?.drop();
  });

  function runner(
    projection: Projection,
    options?: ConstructorParameters<typeof ProjectionRunner>[2],
  ): ProjectionRunner {
    const created = new ProjectionRunner(store, projection, options);
    runners.push(created);
    return created;
  }

  async function appendNumbered(from: number, to: number, type = 'Numbered'): Promise<void> {
    for (let n = from; n <= to; n++) {
      await store.append(`s-${n % 3}`, [{ type, data: { n } }], { expectedVersion: 'any', metadata: meta });
    }
  }

  async function seen(name: string): Promise<Array<{ position: number; n: number; upcast?: boolean }>> {
    const rows = await store.dataSource.query(
      `SELECT position, data FROM seen WHERE projection = $1 ORDER BY position`,
      [name],
    );
    return rows.map((r: { position: string; data: { n: number; upcast?: boolean } }) => ({
      position: Number(r.position),
      ...r.data,
    }));
  }

  it('catches up in batches, in order, upcast, storing the checkpoint; a second catch-up applies nothing', async () => {
    const projection = new SeenProjection('all');
    await projection.ensureTable(store);
    await appendNumbered(1, 12);
    const run = runner(projection, { batchSize: 5 });
    const head = await store.headPosition();
    expect(await run.catchUp()).toBe(head);
    expect(projection.batches).toEqual([5, 5, 2]);
    const rows = await seen('all');
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(rows.every((r) => r.upcast === true)).toBe(true);
    expect(await run.checkpoint()).toBe(head);
    await run.catchUp();
    expect(projection.batches).toEqual([5, 5, 2]);
  });

  it('feeds only the types a projection handles, and still reaches the head', async () => {
    const projection = new SeenProjection('odd-only', ['Wanted']);
    await projection.ensureTable(store);
    await appendNumbered(1, 3, 'Unwanted');
    await appendNumbered(4, 5, 'Wanted');
    await appendNumbered(6, 8, 'Unwanted');
    const run = runner(projection, { batchSize: 2 });
    expect(await run.catchUp()).toBe(await store.headPosition());
    expect((await seen('odd-only')).map((r) => r.n)).toEqual([4, 5]);
  });

  it('rolls back a failing batch with its checkpoint, stops, surfaces the error, and resumes without skipping', async () => {
    const projection = new SeenProjection('fragile');
    await projection.ensureTable(store);
    await appendNumbered(1, 10);
    projection.failOn = 7;
    const run = runner(projection, { batchSize: 4 });
    run.start();
    await waitFor(async () => run.lastError !== undefined && !run.isRunning);
    expect(run.lastError).toBeInstanceOf(ProjectionFailedError);
    expect(run.lastError).toMatchObject({ projection: 'fragile', checkpoint: (await store.readAll())[3]!.position });
    expect(logged.some((l) => l.level === 'error' && l.message.includes('fragile'))).toBe(true);
    // The batch 5..8 wrote rows 5, 6 and 7 before failing: none of them may remain.
    expect((await seen('fragile')).map((r) => r.n)).toEqual([1, 2, 3, 4]);
    await expect(run.catchUp()).rejects.toBeInstanceOf(ProjectionFailedError);

    projection.failOn = undefined;
    await run.catchUp();
    expect((await seen('fragile')).map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(run.lastError).toBeUndefined();
  });

  it('rebuilds from position 0 after reset', async () => {
    const projection = new SeenProjection('rebuilt');
    await projection.ensureTable(store);
    await appendNumbered(1, 6);
    const run = runner(projection);
    await run.catchUp();
    await store.dataSource.query(`INSERT INTO seen (position, projection, data) VALUES (-1, 'rebuilt', '{"n": -1}')`);
    expect(await run.rebuild()).toBe(await store.headPosition());
    expect((await seen('rebuilt')).map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('stops when its store closes (never polls a closed pool), and logs nothing after', async () => {
    const projection = new SeenProjection('orphaned');
    await projection.ensureTable(store);
    const run = new ProjectionRunner(store, projection, { pollIntervalMs: 20 });
    run.start();
    await waitFor(async () => (await run.checkpoint()) === 0);
    await store.close();
    expect(run.isRunning).toBe(false);
    const loggedAtClose = logged.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logged.slice(loggedAtClose)).toEqual([]);
  });

  it('is woken by the NOTIFY of an append long before its poll interval', async () => {
    const projection = new SeenProjection('notified');
    await projection.ensureTable(store);
    const run = runner(projection, { pollIntervalMs: 120_000 });
    run.start();
    await waitFor(async () => store.notifier.listening && (await run.checkpoint()) === 0);
    // Let the first (empty) pass finish so the runner is idle on its 2-minute timer.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await appendNumbered(1, 1);
    // Well under the 2-minute poll: only the NOTIFY can have woken it.
    await waitFor(async () => (await seen('notified')).length === 1, 20_000);
    expect(run.isRunning).toBe(true);
  });

  it('follows appends live and two runners of one projection (two hub replicas) apply each event exactly once', async () => {
    const projection = new SeenProjection('shared');
    await projection.ensureTable(store);
    const first = runner(projection, { batchSize: 7, pollIntervalMs: 200 });
    const second = runner(new SeenProjection('shared'), { batchSize: 3, pollIntervalMs: 200 });
    first.start();
    second.start();
    await appendNumbered(1, 40);
    // The position primary key of `seen` would make a double apply fail the batch.
    await waitFor(async () => (await seen('shared')).length === 40, 30_000);
    expect(first.lastError).toBeUndefined();
    expect(second.lastError).toBeUndefined();
    expect((await seen('shared')).map((r) => r.n)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  }, 60_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
