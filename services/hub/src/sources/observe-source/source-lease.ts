import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { HUB_CONFIG, type HubConfig } from '../../config/hub.config';
import { durations } from '../../durations';

/** Namespaces the sources' advisory locks (first key of the two-int form): "FLOT" in ASCII. */
const lockClassId = 0x464c4f54;

/** int4 key of a source name; a collision only makes two sources take turns. */
function lockObjectId(name: string): number {
  return createHash('sha256').update(`source:${name}`).digest().readInt32BE(0);
}

export interface SourceLeaseHandle {
  release(): Promise<void>;
}

/**
 * Who fetches a source right now, across hub replicas: a Postgres session advisory lock per
 * source, held on one dedicated connection (not the pool: a pooled connection returned with
 * a lock still held would leak it to an unrelated query). If the connection dies, Postgres
 * drops its locks and another replica takes over; the expected-version append is the second
 * line of defence for the fetch that was in flight.
 */
@Injectable()
export class SourceLease implements OnApplicationShutdown {
  private readonly logger = new Logger('SourceLease');
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** Session locks are re-entrant in Postgres: the in-process guard is what keeps one fetch per source here. */
  private readonly held = new Set<string>();
  private closed = false;

  constructor(@Inject(HUB_CONFIG) private readonly config: HubConfig) {}

  /** Takes the source's lease if free; undefined when another fetch (here or elsewhere) holds it. */
  async tryAcquire(name: string): Promise<SourceLeaseHandle | undefined> {
    if (this.closed || this.held.has(name)) return undefined;
    this.held.add(name);
    try {
      const client = await this.connection();
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
        lockClassId,
        lockObjectId(name),
      ]);
      if (!result.rows[0]?.locked) {
        this.held.delete(name);
        return undefined;
      }
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          try {
            if (this.client === client)
              await client.query('SELECT pg_advisory_unlock($1, $2)', [lockClassId, lockObjectId(name)]);
          } catch (err) {
            // A dead connection already released the lock on the server side.
            this.logger.warn(`releasing the lease of source ${name}: ${(err as Error).message}`);
          } finally {
            this.held.delete(name);
          }
        },
      };
    } catch (err) {
      this.held.delete(name);
      throw err;
    }
  }

  /** Retries until the lease is free or `waitMs` passed (a webhook arriving during another replica's fetch). */
  async acquire(name: string, waitMs: number): Promise<SourceLeaseHandle | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const lease = await this.tryAcquire(name);
      if (lease || this.closed || Date.now() >= deadline) return lease;
      await sleep(durations.sourceLeaseRetryMs);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const client = new Client({
        connectionString: this.config.FLOTILLA_HUB_DATABASE_URL,
        connectionTimeoutMillis: durations.databaseConnectTimeoutMs,
        application_name: 'flotilla-hub-source-lease',
      });
      client.on('error', (err) => {
        this.logger.warn(`lease connection lost (its locks are released by Postgres): ${err.message}`);
        if (this.client === client) this.client = undefined;
      });
      await client.connect();
      if (this.closed) {
        await client.end();
        throw new Error('source leases are shut down');
      }
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}
