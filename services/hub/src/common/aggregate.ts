import {
  WrongExpectedVersionError,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@flotilla/event-store';
import { fold, type Decider, type DomainEvent } from '@flotilla/domain';

/** A stream folded into state, with the version the next append must expect. */
export interface Loaded<TState> {
  state: TState;
  version: number;
}

export async function loadAggregate<TState>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<unknown, DomainEvent, TState>, 'initialState' | 'evolve'>,
): Promise<Loaded<TState>> {
  const events: RecordedEvent[] = await store.readStream(streamId);
  return { state: fold(decider, events), version: events.length === 0 ? 0 : events[events.length - 1]!.version };
}

/**
 * How many times a command is decided again when its stream moved under it. Streams that
 * people change also receive events nobody typed (an agent's syncs and drift on
 * `cluster-<id>`, the renderer's results on `application-<name>`), so a person's command can
 * race one that has nothing to do with it. Deciding again on the new state is always safe:
 * the decider re-checks every rule, and a real conflict still ends in a 409.
 */
export const decideAttempts = 5;

/**
 * Loads, decides, appends with the expected version, deciding again on a version conflict:
 * the one shape of every simple handler. The command may depend on the state (create or change).
 */
export async function decideAndAppend<TCommand, TEvent extends DomainEvent, TState>(
  store: EventStore,
  streamId: string,
  decider: Decider<TCommand, TEvent, TState>,
  command: TCommand | ((state: TState) => TCommand),
  metadata: EventMetadata,
): Promise<{ events: TEvent[]; state: TState; previous: TState; position: number }> {
  return decidedAgainOnConflict(async () => {
    const { state, version } = await loadAggregate(store, streamId, decider);
    const events = decider.decide(
      typeof command === 'function' ? (command as (s: TState) => TCommand)(state) : command,
      state,
    );
    const next = events.reduce((s, e) => decider.evolve(s, e), state);
    if (events.length === 0) return { events, state: next, previous: state, position: 0 };
    const result = await store.append(streamId, events as NewEvent[], { expectedVersion: version, metadata });
    return { events, state: next, previous: state, position: result.positions[result.positions.length - 1] ?? 0 };
  });
}

/**
 * Runs a load-decide-append `work` again (from the load) when its append meets a version
 * conflict, up to `decideAttempts` times; for handlers that append to several streams at once.
 */
export async function decidedAgainOnConflict<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || attempt >= decideAttempts) throw err;
    }
  }
}
