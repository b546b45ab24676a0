import type { DriftMode, StatusDriftField, StatusResourceRef } from '@flotilla/domain';

/**
 * The drift events as the drift read models read them (stream `cluster-<id>`, appended from
 * agents' reports): the typed status events of @flotilla/domain. Pure: no I/O.
 */

export type ResourceRefView = StatusResourceRef;
export type DriftFieldView = StatusDriftField;
export type { DriftMode };
/** How an episode ended: the agent corrected it, it went away, or its resource, application or cluster went. */
export type DriftEndReason = 'corrected' | 'resolved' | 'pruned' | 'removed' | 'deregistered';

export const driftEventTypes = [
  'DriftDetected',
  'DriftCorrected',
  'DriftResolved',
  'ApplicationRemoved',
  'ClusterDeregistered',
  // Only for resources it prunes: a pruned resource's drift ends without a DriftResolved.
  'SyncSucceeded',
] as const;

/** The agent's time when it gives a valid one, else when the hub recorded the event. */
export function eventTime(at: string | undefined, recordedAt: Date): Date {
  const time = at === undefined ? undefined : new Date(at);
  return time && !Number.isNaN(time.getTime()) ? time : recordedAt;
}
