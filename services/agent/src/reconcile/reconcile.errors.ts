import { AgentError } from '../errors';

/** The bundle could not be fetched or did not match its digest: retried with backoff, reported as SyncFailed. */
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
