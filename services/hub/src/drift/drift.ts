/**
 * The drift events as the drift read models read them (stream `cluster-<id>`, appended from
 * agents' reports), parsed defensively: a malformed report must not stop the projection.
 * Pure: no I/O.
 */

export interface ResourceRefView {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface DriftFieldView {
  path: string;
  desired?: unknown;
  live?: unknown;
}

export type DriftMode = 'detect' | 'correct';
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

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

export function parseRef(value: unknown): ResourceRefView | undefined {
  const v = (value ?? {}) as Record<string, unknown>;
  const apiVersion = str(v.apiVersion);
  const kind = str(v.kind);
  const name = str(v.name);
  if (!apiVersion || !kind || !name) return undefined;
  const namespace = str(v.namespace);
  return { apiVersion, kind, ...(namespace ? { namespace } : {}), name };
}

/**
 * Identity of a resource across API versions (the group, not the version), as the agent's
 * inventory keys it: moving a manifest from v1beta1 to v1 is the same drifted object.
 */
export function resourceKey(ref: ResourceRefView): string {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  return `${group ? `${group}/` : ''}${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

export function parseFields(value: unknown): DriftFieldView[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null && typeof f.path === 'string')
    .map((f) => ({ path: f.path as string, desired: f.desired, live: f.live }));
}

export function parseMode(value: unknown): DriftMode {
  return value === 'correct' ? 'correct' : 'detect';
}

/** The agent's time when it gives a valid one, else when the hub recorded the event. */
export function eventTime(data: Record<string, unknown>, recordedAt: Date): Date {
  const at = typeof data.at === 'string' ? new Date(data.at) : undefined;
  return at && !Number.isNaN(at.getTime()) ? at : recordedAt;
}
