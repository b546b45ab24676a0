import { InMemoryEventStore, WrongExpectedVersionError, type NewEvent } from '@flotilla/event-store';
import type { Decider, DomainEvent } from '@flotilla/domain';
import { decideAndAppend, decideAttempts } from './aggregate';

// A stream a person changes while an agent keeps appending reports to it (as `cluster-<id>`).
type Event = DomainEvent<'Retired', Record<string, never>> | DomainEvent<'Reported', { n: number }>;
interface State {
  retired: boolean;
  reports: number;
}
const decider: Decider<'retire', Event, State> = {
  initialState: () => ({ retired: false, reports: 0 }),
  decide: (_command, state) => (state.retired ? [] : [{ type: 'Retired', data: {} }]),
  evolve: (state, event) =>
    event.type === 'Retired' ? { ...state, retired: true } : { ...state, reports: state.reports + 1 },
};
const report = (n: number): NewEvent => ({ type: 'Reported', data: { n } });

/** A store on which `races` reports land between each load and the append that follows it. */
function racingStore(races: number) {
  const store = new InMemoryEventStore();
  let left = races;
  const append = store.append.bind(store);
  store.append = async (streamId, events, options) => {
    if (left > 0 && events.some((e) => e.type === 'Retired')) {
      left--;
      await append(streamId, [report(left)], { expectedVersion: 'any', metadata: { actor: 'agent:x' } });
    }
    return append(streamId, events, options);
  };
  return store;
}

describe('decideAndAppend', () => {
  it('given reports racing the command, when it conflicts, then it decides again on the new state and lands once', async () => {
    const store = racingStore(decideAttempts - 1);
    await store.append('s', [report(100)], { expectedVersion: 0, metadata: { actor: 'agent:x' } });
    const result = await decideAndAppend(store, 's', decider, 'retire', { actor: 'user:alice' });
    expect(result.events.map((e) => e.type)).toEqual(['Retired']);
    expect(result.previous.reports).toBe(decideAttempts);
    const types = (await store.readStream('s')).map((e) => e.type);
    expect(types.filter((t) => t === 'Retired')).toHaveLength(1);
  });

  it('given a stream that never stops moving, then it gives up with the conflict (a 409)', async () => {
    const store = racingStore(decideAttempts);
    await expect(decideAndAppend(store, 's', decider, 'retire', { actor: 'user:alice' })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
  });

  it('given the state already has the change, then it appends nothing', async () => {
    const store = new InMemoryEventStore();
    await store.append('s', [{ type: 'Retired', data: {} }], { expectedVersion: 0, metadata: { actor: 'user:bob' } });
    expect((await decideAndAppend(store, 's', decider, 'retire', { actor: 'user:alice' })).events).toEqual([]);
  });
});
