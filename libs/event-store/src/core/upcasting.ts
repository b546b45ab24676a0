// Stored shapes are never edited; old shapes are lifted to the current one on every read
// (stream, all, projections) by a chain of upcasters, each taking one schema version to the
// next. The hash covers the stored shape, so upcasting never affects verification.

import type { EventMetadata, RecordedEvent } from '../event-store.port';
import { InvalidEventError } from '../errors';

// Method syntax on purpose: an Upcaster<{ name: string }> still fits in an Upcaster[] list.
export interface Upcaster<From = unknown, To = unknown> {
  /** Stored event type it applies to. */
  type: string;
  /** The schema version it reads; it produces `fromSchemaVersion + 1`. */
  fromSchemaVersion: number;
  upcast(data: From, event: { streamId: string; metadata: EventMetadata; recordedAt: Date }): To;
}

export class UpcasterChain {
  private readonly byKey = new Map<string, Upcaster>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const upcaster of upcasters) this.register(upcaster);
  }

  register(upcaster: Upcaster): void {
    if (!Number.isInteger(upcaster.fromSchemaVersion) || upcaster.fromSchemaVersion < 1) {
      throw new InvalidEventError(
        `upcaster for ${upcaster.type} has an invalid fromSchemaVersion ${upcaster.fromSchemaVersion}`,
      );
    }
    const key = `${upcaster.type}@${upcaster.fromSchemaVersion}`;
    if (this.byKey.has(key)) {
      throw new InvalidEventError(
        `two upcasters for ${upcaster.type} from schema version ${upcaster.fromSchemaVersion}`,
      );
    }
    this.byKey.set(key, upcaster);
  }

  get isEmpty(): boolean {
    return this.byKey.size === 0;
  }

  /** The event at the newest schema version the registered upcasters reach (the same object when none applies). */
  apply<T>(event: RecordedEvent<T>): RecordedEvent<T> {
    let current = event as RecordedEvent;
    for (;;) {
      const upcaster = this.byKey.get(`${current.type}@${current.schemaVersion}`);
      if (!upcaster) return current as RecordedEvent<T>;
      current = {
        ...current,
        data: upcaster.upcast(current.data, {
          streamId: current.streamId,
          metadata: current.metadata,
          recordedAt: current.recordedAt,
        }),
        schemaVersion: current.schemaVersion + 1,
      };
    }
  }
}
