import type { EventMetadata, EventStore, NewEvent, RecordedEvent } from '@flotilla/event-store';
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

/** Loads, decides, appends with the expected version: the one shape of every simple handler. */
export async function decideAndAppend<TCommand, TEvent extends DomainEvent, TState>(
  store: EventStore,
  streamId: string,
  decider: Decider<TCommand, TEvent, TState>,
  command: TCommand,
  metadata: EventMetadata,
): Promise<{ events: TEvent[]; state: TState; position: number }> {
  const { state, version } = await loadAggregate(store, streamId, decider);
  const events = decider.decide(command, state);
  const next = events.reduce((s, e) => decider.evolve(s, e), state);
  if (events.length === 0) return { events, state: next, position: 0 };
  const result = await store.append(streamId, events as NewEvent[], { expectedVersion: version, metadata });
  return { events, state: next, position: result.positions[result.positions.length - 1] ?? 0 };
}
