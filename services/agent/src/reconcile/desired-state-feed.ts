// The seam the reconcile loop consumes, defined by the inbound side (the GitOps contract).
export type {
  AssignedApplication,
  AssignedPolicy,
  DesiredStateFeed,
  VerifiedDesiredState,
} from '../inbound/desired-state';
export { DesiredStateRefusedError } from '../inbound/desired-state';
