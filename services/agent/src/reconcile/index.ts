// The agent's reconcile side: desired state in (through the DesiredStateFeed), libs/kube's
// Reconciler in the middle, StatusReports out through the outbox.
export {
  ReconcileLoop,
  RECONCILE_CONCURRENCY,
  syncKey,
  type ReconcileLoopOptions,
  type ReconcilerPort,
} from './reconcile-loop';
export { ReconcileStateStore, type KnownApplication } from './reconcile-state.store';
export { StatusReporter, type StatusOutbox, type StatusReporterOptions } from './status-reporter';
export {
  toStatusReport,
  type AgentStatusEvent,
  type ApplicationRemovedEvent,
  type AssignmentContext,
  type ReportEnvelope,
} from './status-report.mapper';
export type { AssignedApplication, AssignedPolicy, DesiredStateFeed, VerifiedDesiredState } from './desired-state-feed';
export {
  ApplicationRefusedError,
  BundleFetchFailedError,
  ReconcileStateError,
  ResourcesFailedError,
  SyncInterruptedError,
} from './reconcile.errors';
export { startReconcile, type StartReconcileOptions, type RunningReconcile } from './start-reconcile';
