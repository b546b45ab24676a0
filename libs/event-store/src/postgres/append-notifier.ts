// One LISTEN connection per store, shared by every projection runner of the process, so a
// committed append wakes them at once instead of at their next poll. It is only a latency
// aid: runners poll anyway, so a lost connection (or a missed NOTIFY) delays, never loses.

import type { PoolClient } from 'pg';
import { appendChannel } from './sql';
import type { EventStoreLogger } from './logger';

export type ObtainConnection = () => Promise<[PoolClient, (err?: unknown) => void]>;

export class AppendNotifier {
  private readonly listeners = new Set<(position: number) => void>();
  private client: PoolClient | undefined;
  private release: ((err?: unknown) => void) | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly obtainConnection: ObtainConnection,
    private readonly logger: EventStoreLogger,
  ) {}

  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Calls `listener` with the head position after each committed append; returns the unsubscribe. */
  subscribe(listener: (position: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  /** Connects (or reconnects) if someone is subscribed; resolves false when LISTEN is not in place. */
  async ensureListening(): Promise<boolean> {
    if (this.closed || this.listeners.size === 0) return false;
    if (this.client) return true;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    try {
      await this.connecting;
    } catch (err) {
      this.logger.warn('event store: LISTEN connection failed, projections fall back to polling', {
        error: String(err),
      });
    }
    return this.client !== undefined;
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.disconnect();
  }

  private async connect(): Promise<void> {
    const [client, release] = await this.obtainConnection();
    const onNotification = (message: { channel: string; payload?: string }) => {
      if (message.channel !== appendChannel) return;
      const position = Number(message.payload);
      for (const listener of this.listeners) listener(position);
    };
    const onLost = (err?: unknown) => {
      if (this.client !== client) return;
      this.logger.warn('event store: LISTEN connection lost', { error: String(err) });
      this.disconnect(err ?? new Error('connection ended'));
    };
    client.on('notification', onNotification);
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.query(`LISTEN ${appendChannel}`);
    } catch (err) {
      release(err);
      throw err;
    }
    this.client = client;
    this.release = release;
    if (this.closed || this.listeners.size === 0) this.disconnect();
  }

  private disconnect(err?: unknown): void {
    const { client, release } = this;
    this.client = undefined;
    this.release = undefined;
    if (!client || !release) return;
    client.removeAllListeners('notification');
    // Returning a connection with an error makes the pool destroy it: a LISTENing session
    // must never be handed to another user of the pool.
    release(err ?? new Error('LISTEN connection retired'));
  }
}
