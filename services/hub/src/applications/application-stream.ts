import { WrongExpectedVersionError, type EventStore, type NewEvent } from '@flotilla/event-store';
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
import { loadAggregate } from '../common/aggregate';

/**
 * How many times a command is decided again when the stream moved under it. The renderer
 * appends RevisionRendered / RenderFailed to the same stream, so a person's change can race
 * a render that has nothing to do with it: deciding again on the new state is always safe
 * (the decider re-checks every rule), and a true conflict still ends in a 409.
 */
export const applicationAppendAttempts = 3;

export function loadApplication(
  store: EventStore,
  name: string,
): Promise<{ state: ApplicationState; version: number }> {
  return loadAggregate(store, applicationStreamId(name), applicationDecider);
}

/** Loads, decides (the command may depend on the state: create or change), appends with the expected version. */
export async function decideOnApplication(
  store: EventStore,
  name: string,
  command: ApplicationCommand | ((state: ApplicationState) => ApplicationCommand),
  actor: string,
): Promise<{ events: ApplicationEvent[]; position: number; previous: ApplicationState }> {
  const streamId = applicationStreamId(name);
  for (let attempt = 1; ; attempt++) {
    const { state: previous, version } = await loadApplication(store, name);
    const events = applicationDecider.decide(typeof command === 'function' ? command(previous) : command, previous);
    if (events.length === 0) return { events, position: 0, previous };
    try {
      const result = await store.append(streamId, events as NewEvent[], {
        expectedVersion: version,
        metadata: { actor },
      });
      return { events, position: result.positions[result.positions.length - 1] ?? 0, previous };
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || attempt >= applicationAppendAttempts) throw err;
    }
  }
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
