import type { Health, HealthStatus, ResourceResult } from './reconcile.types';
import type { ResourceRef } from './resource-ref';

/**
 * What the reconciler tells the status path (and through it the hub). Plain data, already
 * redacted: Secret values never appear in any of them.
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
  bundle: string;
}

export interface SyncSucceeded extends EventBase {
  type: 'SyncSucceeded';
  bundle: string;
  results: ResourceResult[];
}

export interface SyncFailed extends EventBase {
  type: 'SyncFailed';
  bundle: string;
  results: ResourceResult[];
  message: string;
}

export interface HealthChanged extends EventBase {
  type: 'HealthChanged';
  /** Absent: the health of the whole application (the worst of its resources). */
  ref?: ResourceRef;
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
  ref: ResourceRef;
  /** `missing`: the object was deleted; `modified`: fields we manage differ. */
  reason: 'missing' | 'modified';
  fields: DriftField[];
}

export interface DriftCorrected extends EventBase {
  type: 'DriftCorrected';
  ref: ResourceRef;
  reason: 'missing' | 'modified';
  fields: DriftField[];
}

export interface DriftResolved extends EventBase {
  type: 'DriftResolved';
  ref: ResourceRef;
}

export type { Health };
