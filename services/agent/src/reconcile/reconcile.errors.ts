import { CorruptInventoryError, InvalidApplicationNameError, type ResourceResult } from '@flotilla/kube';
import { AgentError } from '../errors';

// Every failure of one application's sync ends as an AgentError: its `retryable` alone decides
// whether the reconcile loop backs off and tries again or waits for the next assignment.

/** The bundle could not be fetched (the hub or the cache did not answer): retried with backoff, reported as SyncFailed. */
export class BundleFetchFailedError extends AgentError {
  readonly retryable = true;
  constructor(
    readonly digest: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The loop's state file cannot be read or written: without it an unassigned application could be forgotten un-pruned. */
export class ReconcileStateError extends AgentError {
  readonly retryable = true;
}

/**
 * The reconciler refused the application itself (a name that cannot be a label value, an
 * inventory it cannot parse): retrying cannot help; a new assignment (or a repaired
 * inventory and a restart) will.
 */
export class ApplicationRefusedError extends AgentError {
  readonly retryable = false;
}

/** The reconciler stopped part-way (the API server did not answer, a conflict, ...): trying again may work. */
export class SyncInterruptedError extends AgentError {
  readonly retryable = true;
}

/**
 * Some resources failed. Retryable unless every failure is one the same bundle meets again
 * (see `permanentResourceReasons`).
 */
export class ResourcesFailedError extends AgentError {
  readonly retryable: boolean;
  constructor(readonly failed: ResourceResult[]) {
    super(`${failed.length} resources failed: ${[...new Set(failed.map((r) => r.reason ?? 'unknown'))].join(', ')}`);
    this.retryable = !failed.every((r) => r.reason !== undefined && permanentResourceReasons.has(r.reason));
  }
}

/** A resource failing for one of these reasons fails again until the bundle changes. */
export const permanentResourceReasons: ReadonlySet<string> = new Set([
  'Invalid',
  'Duplicate',
  'NotAllowed',
  'OutsidePolicy',
]);

/** The AgentError a sync failure is: AgentErrors as they are (a refused bundle stays terminal), libs/kube's classified. */
export function syncFailureOf(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const message = (err as Error).message;
  if (err instanceof InvalidApplicationNameError || err instanceof CorruptInventoryError)
    return new ApplicationRefusedError(message, { cause: err });
  return new SyncInterruptedError(message, { cause: err });
}
