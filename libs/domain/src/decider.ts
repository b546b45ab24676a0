/**
 * The shape every aggregate follows (emmett's decider): the application layer loads a
 * stream, folds it with `evolve`, asks `decide` for new events and appends them with the
 * expected version. Time and ids always arrive inside the command, never from a clock.
 */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  type: TType;
  data: TData;
}

export interface Decider<TCommand, TEvent extends DomainEvent, TState> {
  initialState(): TState;
  decide(command: TCommand, state: TState): TEvent[];
  evolve(state: TState, event: TEvent): TState;
}

/** Folds events (e.g. a stream read from the store) into state, ignoring unknown types. */
export function fold<TEvent extends DomainEvent, TState>(
  decider: Pick<Decider<unknown, TEvent, TState>, 'initialState' | 'evolve'>,
  events: readonly DomainEvent[],
): TState {
  return events.reduce<TState>((state, event) => decider.evolve(state, event as TEvent), decider.initialState());
}
