/**
 * The agent's errors are either retryable (the caller backs off and tries again) or
 * terminal (the agent reports and exits non-zero); never swallowed.
 */
export abstract class AgentError extends Error {
  abstract readonly retryable: boolean;
  /** Process exit code when this error ends the agent. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class AgentConfigError extends AgentError {
  readonly retryable = false;
  override readonly exitCode = 2;
}

/** The hub answered and said no: a new token (or name) is needed. */
export class RegistrationRefusedByHubError extends AgentError {
  readonly retryable = false;
  override readonly exitCode = 3;
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(`registration refused (${reason}): ${message}`);
  }
}

/** NATS or the hub did not answer; trying again later may work. */
export class RegistrationUnavailableError extends AgentError {
  readonly retryable = true;
}

/** The NATS server refuses our credentials: the cluster was deregistered (or the account changed). */
export class CredentialsRevokedError extends AgentError {
  readonly retryable = false;
  override readonly exitCode = 4;
}

export class CredentialsStoreError extends AgentError {
  readonly retryable = true;
}
