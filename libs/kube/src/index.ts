// The agent's Kubernetes side: it turns a bundle into cluster state (server-side apply in a
// safe order, prune of exactly what an application owns, per-kind health) and keeps it
// there (drift detection and correction), reporting everything as plain-data events. It
// talks only through @kubernetes/client-node, so the same code runs on any real cluster.
export { Reconciler, RECONCILER_DEFAULTS, stamp } from './reconciler';
export type { ReconcilerOptions, SyncResult, DriftCheckResult, ResourceStatus } from './reconciler';
export type {
  ReconcileEvent,
  SyncStarted,
  SyncSucceeded,
  SyncFailed,
  HealthChanged,
  DriftDetected,
  DriftCorrected,
  DriftResolved,
  DriftField,
} from './reconcile.events';
export type {
  AgentScope,
  Bundle,
  SyncPolicy,
  ResourceAction,
  ResourceResult,
  Health,
  HealthStatus,
} from './reconcile.types';
export type { KubeObject, ResourceRef } from './resource-ref';
export { groupKindOf, refKey, refOf, formatRef } from './resource-ref';
export { assessHealth, worstHealth } from './health.rules';
export { computeDrift, diffJson } from './drift.diff';
export { redactDriftFields, redactMessage, REDACTED } from './redaction';
export { applyRank, sortForApply, sortForDelete } from './apply-order';
export { checkScope } from './allowlist';
export { DURATIONS, type Durations } from './durations';
export { APPLICATION_LABEL, BUNDLE_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './labels';
export { INVENTORY_PREFIX, type Inventory, type InventoryEntry } from './inventory.store';
export {
  KubeReconcileError,
  InvalidApplicationNameError,
  CorruptInventoryError,
  CrdNotEstablishedError,
} from './errors';
