import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventStore, RecordedEvent } from '@flotilla/event-store';
import { EVENT_STORE } from '../../event-store.provider';
import { natsDurations } from '../../durations';
import { LogTail } from '../log-tail';
import { NatsAuthority, type Revocations } from '../nats-authority';
import { NATS_CONNECTION } from '../nats-connection';
import { AccountClaimsPublisher } from './account-claims.publisher';
import { SYSTEM_NATS_CONNECTION } from './registration.tokens';

/**
 * Follows ClusterDeregistered in the log and keeps the server's account JWT carrying a
 * revocation for each deregistered cluster's key. The set is rebuilt from the log at every
 * start and pushed again whenever the hub reconnects (a restarted server with a memory
 * resolver starts again from its preloaded claims).
 */
@Injectable()
export class RevocationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Revocation');
  private readonly revocations: Revocations = {};
  private readonly publisher: AccountClaimsPublisher;
  private readonly tail: LogTail;
  private pushing: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private pushedCount = -1;
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(SYSTEM_NATS_CONNECTION) systemConnection: NatsConnection,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    authority: NatsAuthority,
  ) {
    this.publisher = new AccountClaimsPublisher(systemConnection, authority);
    this.tail = new LogTail(store, {
      name: 'RevocationTail',
      types: ['ClusterDeregistered'],
      pollMs: natsDurations.logTailPollMs,
      onEvents: (events) => this.onDeregistered(events),
    });
  }

  /** Public keys currently revoked (for /readyz-like checks and tests). */
  revokedKeys(): string[] {
    return Object.keys(this.revocations);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tail.catchUp();
    // Pushed even when empty: it also clears revocations a stale claim might carry.
    await this.schedulePush(true);
    this.tail.start();
    void (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === 'reconnect' && !this.stopped) void this.schedulePush(true);
      }
    })();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.tail.stop();
    await this.pushing;
  }

  private async onDeregistered(events: RecordedEvent[]): Promise<void> {
    let added = 0;
    for (const event of events) {
      const publicKey = (event.data as { publicKey?: unknown }).publicKey;
      if (typeof publicKey !== 'string' || publicKey === '') {
        this.logger.error(`ClusterDeregistered at position ${event.position} carries no publicKey: nothing to revoke`);
        continue;
      }
      // JWTs issued at or before this second are refused; the agent's was issued at registration.
      this.revocations[publicKey] = Math.ceil(event.recordedAt.getTime() / 1000);
      added++;
    }
    if (added > 0 && this.pushedCount >= 0) await this.schedulePush(false);
  }

  /** Serialises pushes; on failure retries in the background until it lands or the hub stops. */
  private schedulePush(force: boolean): Promise<void> {
    this.pushing = this.pushing.then(async () => {
      const count = Object.keys(this.revocations).length;
      if (!force && count === this.pushedCount) return;
      try {
        await this.publisher.push(this.revocations);
        this.pushedCount = count;
      } catch (err) {
        this.logger.error(`${(err as Error).message}; retrying in ${natsDurations.claimsUpdateRetryMs} ms`);
        clearTimeout(this.retryTimer);
        if (!this.stopped)
          this.retryTimer = setTimeout(() => void this.schedulePush(true), natsDurations.claimsUpdateRetryMs);
      }
    });
    return this.pushing;
  }
}
