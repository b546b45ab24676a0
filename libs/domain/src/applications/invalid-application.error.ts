import { ValidationError } from '../errors';

/** One problem of an application file or request, with its field path (`spec.targets[0].group`). */
export interface ApplicationIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Every problem found in an application at once (the file's own rules and the hub's
 * references: name, source, cluster groups), so a user fixes them in one round. `field`
 * is the first issue's path, for clients that only read one.
 */
export class InvalidApplicationError extends ValidationError {
  constructor(
    readonly issues: readonly ApplicationIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid application: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')}`,
      issues[0]?.path || undefined,
      { ...options, code: 'invalid-application' },
    );
  }
}
