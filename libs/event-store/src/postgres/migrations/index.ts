import { CreateEventStore1764144000000 } from './create-event-store.migration';

/** The event store's migrations, in order; the hub lists them beside its own in its DataSource. */
export const eventStoreMigrations = [CreateEventStore1764144000000];
