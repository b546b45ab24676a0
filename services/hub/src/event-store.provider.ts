import type { EventStore } from '@flotilla/event-store';

/**
 * DI token of the hub's EventStore (the port from @flotilla/event-store). A string rather
 * than a class because the port is an interface; every module injects it with
 * `@Inject(EVENT_STORE) store: EventStore`.
 */
export const EVENT_STORE = 'EVENT_STORE';

export type { EventStore };
