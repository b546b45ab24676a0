import type { DomainEvent } from '../decider';

// The status events: what agents report, as the hub appends it to `cluster-<clusterId>`
// (status-event.mapping.ts in the hub decodes the wire's StatusReport into them). Plain data,
// one name per field from the agent to the log: the agent's reconciler (libs/kube
// reconcile.events.ts) and the wire (proto/flotilla/v1/status.proto) use the same names:
// `bundleDigest`, `resources`, `resource`. Stored type strings and field names never change;
// an older stored shape is lifted to this one by an upcaster, so a projection reads these
// types and nothing else.

/** A Kubernetes object as the status events name it. */
export interface StatusResourceRef {
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

export type HealthStatus = 'healthy' | 'progressing' | 'degraded' | 'missing';
export type ResourceAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'failed';
/** `missing`: the object was deleted; `modified`: fields the agent manages differ. */
export type DriftReason = 'missing' | 'modified';
export type DriftMode = 'detect' | 'correct';

export interface StatusResourceResult {
  ref: StatusResourceRef;
  action: ResourceAction;
  /** Machine-readable cause of a failure (the API's Status.reason, or `NotAllowed`, ...). */
  reason?: string;
  message?: string;
}

export interface StatusDriftField {
  /** JSON pointer into the object, e.g. `/spec/replicas`. */
  path: string;
  /** Any JSON value; absent when the field is absent on that side; `<redacted>` for Secret values. */
  desired?: unknown;
  live?: unknown;
}

interface ReportBase {
  clusterId: string;
  application: string;
  /** ISO-8601, the agent's clock. */
  at: string;
}

/** Which assignment a sync was about. */
export interface SyncData extends ReportBase {
  /** The desired-state revision that carried the assignment. */
  revision: number;
  commit: string;
  bundleDigest: string;
}

export type SyncStarted = DomainEvent<'SyncStarted', SyncData>;
export type SyncSucceeded = DomainEvent<'SyncSucceeded', SyncData & { resources: StatusResourceResult[] }>;
export type SyncFailed = DomainEvent<'SyncFailed', SyncData & { message: string; resources: StatusResourceResult[] }>;
export type HealthChanged = DomainEvent<
  'HealthChanged',
  ReportBase & {
    status: HealthStatus;
    /** Absent when there was no previous assessment. */
    previous?: HealthStatus;
    /** Absent: the health of the whole application (the worst of its resources). */
    resource?: StatusResourceRef;
    message: string;
  }
>;
export type DriftDetected = DomainEvent<
  'DriftDetected',
  ReportBase & { resource: StatusResourceRef; reason: DriftReason; fields: StatusDriftField[]; mode: DriftMode }
>;
export type DriftCorrected = DomainEvent<
  'DriftCorrected',
  ReportBase & { resource: StatusResourceRef; reason: DriftReason; fields: StatusDriftField[] }
>;
export type DriftResolved = DomainEvent<'DriftResolved', ReportBase & { resource: StatusResourceRef }>;
/** The agent dropped an application its cluster is no longer assigned (deleting what it owned when `pruned`). */
export type ApplicationRemoved = DomainEvent<'ApplicationRemoved', ReportBase & { pruned: boolean }>;

/** Why an agent refused a desired state or bundle (the agent's inbound/desired-state.ts). */
export const desiredStateRefusalReasons = [
  'malformed',
  'bad-signature',
  'foreign-cluster',
  'replayed',
  'bundle-digest-mismatch',
  'bundle-refused',
] as const;
export type DesiredStateRefusalReason = (typeof desiredStateRefusalReasons)[number];
/** The agent refused a desired state (forged, foreign, replayed): an attack shows in the fleet history. */
export type DesiredStateRefused = DomainEvent<
  'DesiredStateRefused',
  { clusterId: string; reason: DesiredStateRefusalReason; via: string; message: string; at: string }
>;

/** The status events of `cluster-<clusterId>`. */
export type StatusEvent =
  | SyncStarted
  | SyncSucceeded
  | SyncFailed
  | HealthChanged
  | DriftDetected
  | DriftCorrected
  | DriftResolved
  | ApplicationRemoved
  | DesiredStateRefused;

export type StatusEventType = StatusEvent['type'];

export const statusEventTypes: readonly StatusEventType[] = [
  'SyncStarted',
  'SyncSucceeded',
  'SyncFailed',
  'HealthChanged',
  'DriftDetected',
  'DriftCorrected',
  'DriftResolved',
  'ApplicationRemoved',
  'DesiredStateRefused',
];

const statusTypes: ReadonlySet<string> = new Set(statusEventTypes);

/**
 * A recorded event as the status event it is, or undefined when it is of another type. The
 * hub validated it before appending it and upcasters lift older shapes, so its data is read
 * as typed, never re-parsed.
 */
export function asStatusEvent(event: { type: string; data: unknown }): StatusEvent | undefined {
  return statusTypes.has(event.type) ? ({ type: event.type, data: event.data } as StatusEvent) : undefined;
}

/**
 * Identity of a resource across API versions (the group, not the version), as the agent's
 * inventory keys it: moving a manifest from v1beta1 to v1 is the same object.
 */
export function resourceKey(ref: StatusResourceRef): string {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  return `${group ? `${group}/` : ''}${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}
