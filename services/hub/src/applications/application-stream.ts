import type { EventStore } from '@flotilla/event-store';
import {
  applicationDecider,
  applicationStreamId,
  type ApplicationCommand,
  type ApplicationEvent,
  type ApplicationState,
  NotFoundError,
  validateDnsLabel,
  ValidationError,
} from '@flotilla/domain';
import { decideAndAppend, loadAggregate } from '../common/aggregate';

export function loadApplication(
  store: EventStore,
  name: string,
): Promise<{ state: ApplicationState; version: number }> {
  return loadAggregate(store, applicationStreamId(name), applicationDecider);
}

/** Loads, decides (the command may depend on the state: create or change), appends; decided again on a conflict. */
export async function decideOnApplication(
  store: EventStore,
  name: string,
  command: ApplicationCommand | ((state: ApplicationState) => ApplicationCommand),
  actor: string,
): Promise<{ events: ApplicationEvent[]; position: number; previous: ApplicationState }> {
  const { events, position, previous } = await decideAndAppend(
    store,
    applicationStreamId(name),
    applicationDecider,
    command,
    { actor },
  );
  return { events, position, previous };
}

/** A name in a URL that cannot be an application's is simply not found (it names no stream). */
export function requireApplicationName(name: string): void {
  try {
    validateDnsLabel(name, 'name');
  } catch (err) {
    if (err instanceof ValidationError)
      throw new NotFoundError(`application "${name}" not found`, { code: 'application-not-found', cause: err });
    throw err;
  }
}
