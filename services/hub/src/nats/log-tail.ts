import { Logger } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@flotilla/event-store';

/** Page size of one read of the log. */
const pageSize = 500;

/**
 * Follows the event log from the beginning for a few event types, in order, by polling
 * `readAll` from an in-memory checkpoint. Used for state the NATS side rebuilds from the
 * log at every start (revocations, connection states), so no stored checkpoint is needed.
 */
export class LogTail {
  private checkpoint = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly logger: Logger;

  constructor(
    private readonly store: EventStore,
    private readonly options: {
      name: string;
      types: string[];
      pollMs: number;
      onEvents: (events: RecordedEvent[]) => Promise<void> | void;
    },
  ) {
    this.logger = new Logger(options.name);
  }

  /** Skips the log up to `position` (a follower that only cares about what happens from now on). */
  skipTo(position: number): void {
    this.checkpoint = Math.max(this.checkpoint, position);
  }

  /** Reads everything up to the head now; resolves when it has been handled. */
  async catchUp(): Promise<void> {
    for (;;) {
      const events = await this.store.readAll({ after: this.checkpoint, types: this.options.types, limit: pageSize });
      if (events.length === 0) return;
      await this.options.onEvents(events);
      this.checkpoint = events[events.length - 1]!.position;
      if (events.length < pageSize) return;
    }
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.catchUp()
        .catch((err: unknown) => this.logger.error(`reading the event log failed, retrying: ${(err as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs);
        });
    };
    this.timer = setTimeout(tick, this.options.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
