/**
 * One error base for the whole hub: its `category` is what the hub's single exception
 * filter maps to an HTTP status, so a new error never needs a new catch block.
 */
export type ErrorCategory =
  'validation' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'unavailable' | 'internal';

export abstract class FlotillaError extends Error {
  abstract readonly category: ErrorCategory;
  /** A stable machine-readable code, e.g. `cluster-name-taken`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input. `field` names the offending input path (e.g. `labels.env`) when one is to blame. */
export class ValidationError extends FlotillaError {
  readonly category = 'validation' as const;
  constructor(
    message: string,
    readonly field?: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(options?.code ?? 'validation-failed', message, options);
  }
}

export class NotFoundError extends FlotillaError {
  readonly category = 'not-found' as const;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'not-found', message, options);
  }
}

export class ConflictError extends FlotillaError {
  readonly category = 'conflict' as const;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'conflict', message, options);
  }
}

export class UnauthorizedError extends FlotillaError {
  readonly category = 'unauthorized' as const;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'unauthorized', message, options);
  }
}

export class ForbiddenError extends FlotillaError {
  readonly category = 'forbidden' as const;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'forbidden', message, options);
  }
}
