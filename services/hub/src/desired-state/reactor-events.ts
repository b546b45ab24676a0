import type { RecordedEvent } from '@flotilla/event-store';
import type {
  ApplicationEvent,
  ApplicationPolicySet,
  ClusterDeregistered,
  ClusterGroupCreated,
  ClusterGroupDeleted,
  ClusterLabelsChanged,
  ClusterRegistered,
  CommitObserved,
  SourceAdded,
  SourceChanged,
  SourceHistoryRewritten,
  SourceRemoved,
} from '@flotilla/domain';

/** The stored events the reactor reads, typed as their deciders declare them. */
export type ReactorEvent =
  | SourceAdded
  | SourceChanged
  | SourceRemoved
  | CommitObserved
  | SourceHistoryRewritten
  | ApplicationEvent
  | ApplicationPolicySet
  | ClusterRegistered
  | ClusterLabelsChanged
  | ClusterDeregistered
  | ClusterGroupCreated
  | ClusterGroupDeleted;

/** What the reactor reads from the log; everything else passes by. */
export const desiredStateReactorHandles = [
  'SourceAdded',
  'SourceChanged',
  'SourceRemoved',
  'CommitObserved',
  'SourceHistoryRewritten',
  'ApplicationCreated',
  'ApplicationChanged',
  'ApplicationDeleted',
  'ApplicationPinned',
  'ApplicationUnpinned',
  'ApplicationSyncRequested',
  'ApplicationPolicySet',
  'ClusterRegistered',
  'ClusterLabelsChanged',
  'ClusterDeregistered',
  'ClusterGroupCreated',
  'ClusterGroupDeleted',
] as const satisfies ReadonlyArray<ReactorEvent['type']>;

const handled = new Set<string>(desiredStateReactorHandles);

/**
 * The one place the reactor trusts a stored event's shape: the event store hands out data
 * already upcast to the current schema, written by these types' deciders.
 */
export function toReactorEvent(event: RecordedEvent): ReactorEvent | undefined {
  if (!handled.has(event.type)) return undefined;
  return { type: event.type, data: event.data } as ReactorEvent;
}
