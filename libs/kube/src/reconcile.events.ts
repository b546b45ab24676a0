import type { Health, HealthStatus, ResourceResult } from './reconcile.types';
import type { ResourceRef } from './resource-ref';

/**
 * What the reconciler tells the status path (and through it the hub). Plain data, already
 * redacted: Secret values never appear in any of them. Field names are the wire's
 * (proto/flotilla/v1/status.proto) and the stored events' (@flotilla/domain status.events.ts):
 * `bundleDigest`, `resources`, `resource`.
 */
export type ReconcileEvent =
  SyncStarted | SyncSucceeded | SyncFailed | HealthChanged | DriftDetected | DriftCorrected | DriftResolved;

interface EventBase {
  application: string;
  /** ISO-8601, from the injected clock. */
  at: string;
}

export interface SyncStarted extends EventBase {
  type: 'SyncStarted';
  /** The bundle's content digest (`sha256:...`). */
  bundleDigest: string;
}

export interface SyncSucceeded extends EventBase {
  type: 'SyncSucceeded';
  bundleDigest: string;
  resources: ResourceResult[];
}

export interface SyncFailed extends EventBase {
  type: 'SyncFailed';
  bundleDigest: string;
  resources: ResourceResult[];
  message: string;
}

export interface HealthChanged extends EventBase {
  type: 'HealthChanged';
  /** Absent: the health of the whole application (the worst of its resources). */
  resource?: ResourceRef;
  status: HealthStatus;
  previous?: HealthStatus;
  message: string;
}

export interface DriftField {
  /** JSON pointer into the object, e.g. `/data/key` or `/spec/replicas`. */
  path: string;
  /** What git wants (as the API server would store it); `<redacted>` for Secret values. */
  desired: unknown;
  /** What the cluster has; undefined when the field is absent. */
  live: unknown;
}

export interface DriftDetected extends EventBase {
  type: 'DriftDetected';
  resource: ResourceRef;
  /** `missing`: the object was deleted; `modified`: fields we manage differ. */
  reason: 'missing' | 'modified';
  fields: DriftField[];
}

export interface DriftCorrected extends EventBase {
  type: 'DriftCorrected';
  resource: ResourceRef;
  reason: 'missing' | 'modified';
  fields: DriftField[];
}

export interface DriftResolved extends EventBase {
  type: 'DriftResolved';
  resource: ResourceRef;
}

export type { Health };
