// Feeds the log to one projection in global order, in batches, and stores its checkpoint in
// the same transaction as the projection's own writes: a batch is applied exactly once or
// not at all, whatever crashes when. The checkpoint row is locked for the batch, so two hub
// replicas running the same projection take turns instead of applying twice.

import { isDatabaseUnavailable } from './database-unavailable';
import type { EntityManager } from 'typeorm';
import type { RecordedEvent } from '../event-store.port';
import { EventStoreError, ProjectionFailedError } from '../errors';
import { projectionPollIntervalMs } from '../durations';
import type { PostgresEventStore } from './postgres-event-store';

export interface Projection {
  /** Stable name: the checkpoint's key. Renaming it rebuilds the projection from scratch. */
  name: string;
  /** Event types it reads; all types when absent. */
  handles?: readonly string[];
  /** Applies a batch (upcast, in position order) inside `tx`; throwing rolls the batch back and stops the runner. */
  apply(events: RecordedEvent[], tx: EntityManager): Promise<void>;
  /** Empties the projection's own tables (called in the transaction that resets its checkpoint to 0). */
  reset(tx: EntityManager): Promise<void>;
}

export interface ProjectionRunnerOptions {
  /** Events per transaction; default 500. */
  batchSize?: number;
  /** Poll interval when no NOTIFY arrives; default `projectionPollIntervalMs`. */
  pollIntervalMs?: number;
}

export class ProjectionRunner {
  /** The error that stopped the runner (or the last transient one); cleared by a successful batch. */
  lastError: Error | undefined;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private loop: Promise<void> | undefined;
  private running = false;
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;
  private wakePending = false;
  private unsubscribe: (() => void) | undefined;
  private untrack: (() => void) | undefined;

  constructor(
    private readonly store: PostgresEventStore,
    readonly projection: Projection,
    options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? projectionPollIntervalMs;
    if (!projection.name) throw new EventStoreError('a projection needs a name');
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts following the log in the background (polling, woken early by NOTIFY). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastError = undefined;
    this.unsubscribe = this.store.notifier.subscribe(() => this.wakeUp());
    this.untrack = this.store.trackBackgroundLoop(this);
    this.loop = this.follow();
  }

  /** Stops after the batch in flight, if any. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp();
    await this.loop;
    this.loop = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.untrack?.();
    this.untrack = undefined;
  }

  /** Processes up to the head at call time; returns the checkpoint reached. Throws ProjectionFailedError. */
  async catchUp(): Promise<number> {
    const target = await this.store.headPosition();
    for (;;) {
      const checkpoint = await this.exclusive(() => this.processBatch(target));
      if (checkpoint >= target) return checkpoint;
    }
  }

  /** Empties the projection and its checkpoint in one transaction, then replays the log from position 0. */
  async rebuild(): Promise<number> {
    await this.exclusive(() =>
      this.store.dataSource.transaction(async (tx) => {
        await this.lockCheckpoint(tx);
        try {
          await this.projection.reset(tx);
        } catch (err) {
          throw this.failed(err, 0);
        }
        await tx.query(`UPDATE projection_checkpoints SET position = 0, updated_at = now() WHERE name = $1`, [
          this.projection.name,
        ]);
      }),
    );
    return this.catchUp();
  }

  async checkpoint(): Promise<number> {
    const rows = await this.store.dataSource.query(`SELECT position FROM projection_checkpoints WHERE name = $1`, [
      this.projection.name,
    ]);
    return rows.length === 0 ? 0 : Number(rows[0].position);
  }

  private async follow(): Promise<void> {
    while (this.running) {
      let caughtUp = true;
      try {
        await this.store.notifier.ensureListening();
        const head = await this.store.headPosition();
        const checkpoint = await this.exclusive(() => this.processBatch(head));
        caughtUp = checkpoint >= head;
      } catch (err) {
        if (err instanceof ProjectionFailedError) {
          // Never skip an event: stop here, at the last committed checkpoint, until someone acts.
          this.running = false;
          break;
        }
        this.lastError = err as Error;
        // The pool was closed under the loop (its owner forgot to stop it first): retrying can
        // never succeed and would log until the process ends.
        if (!this.store.dataSource.isInitialized) {
          this.running = false;
          break;
        }
        // The database itself failed (restart, network): keep trying at the poll interval.
        this.store.logger.warn(`projection ${this.projection.name}: batch failed, retrying`, { error: String(err) });
      }
      if (!caughtUp) continue;
      await this.idle();
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** One transaction: lock the checkpoint, read the next batch up to `target`, apply, advance. */
  private async processBatch(target: number): Promise<number> {
    const checkpoint = await this.store.dataSource.transaction(async (tx) => {
      const from = await this.lockCheckpoint(tx);
      if (from >= target) return from;
      const events = await this.store.readAllWith(tx, {
        after: from,
        before: target + 1,
        types: this.projection.handles ? [...this.projection.handles] : undefined,
        limit: this.batchSize,
      });
      // Once `target` is visible every position up to it is committed (appends become visible
      // in position order), so a short batch means nothing else the projection handles is left.
      const next = events.length === this.batchSize ? events.at(-1)!.position : target;
      if (events.length > 0) {
        try {
          await this.projection.apply(events, tx);
        } catch (err) {
          // A lost connection is the database's failure, not the projection's: retried by the
          // loop. Stopping here would freeze the read model until a restart (seen with kill -9).
          if (isDatabaseUnavailable(err)) throw err;
          throw this.failed(err, from);
        }
      }
      await tx.query(`UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1`, [
        this.projection.name,
        next,
      ]);
      return next;
    });
    this.lastError = undefined;
    return checkpoint;
  }

  private async lockCheckpoint(tx: EntityManager): Promise<number> {
    await tx.query(`INSERT INTO projection_checkpoints (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [
      this.projection.name,
    ]);
    const [row] = await tx.query(`SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, [
      this.projection.name,
    ]);
    return Number(row.position);
  }

  private failed(err: unknown, checkpoint: number): ProjectionFailedError {
    const error = new ProjectionFailedError(this.projection.name, checkpoint, { cause: err });
    this.lastError = error;
    this.store.logger.error(error.message, { projection: this.projection.name, checkpoint });
    return error;
  }

  /** Runs `fn` after every earlier call has settled: the loop, catchUp and rebuild never overlap in-process. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.exclusiveTail.then(fn, fn);
    this.exclusiveTail = result.catch(() => undefined);
    return result;
  }

  private idle(): Promise<void> {
    if (this.wakePending || !this.running) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.wake = done;
    });
  }

  private wakeUp(): void {
    if (this.wake) this.wake();
    else this.wakePending = true;
  }
}
