import type { SecretFields } from './redaction';
import type { Upcaster } from './upcasting';

/** What both adapters are configured with. */
export interface EventStoreOptions {
  /** Per event type, the data fields replaced by `[REDACTED]` before hashing and storing. Explicit only: no guessing by key name. */
  secretFields?: SecretFields;
  /** Applied in chain on every read. More can be added with `registerUpcaster`. */
  upcasters?: readonly Upcaster[];
  /** The recorded time of appended events (ms precision); injectable so tests control time. */
  clock?: () => Date;
  /** Ids for events appended without one; default UUIDv7 (time-ordered, so the unique id index grows at its end). */
  newId?: () => string;
}
