// Named errors of the manifests library. The hub maps ManifestsError subclasses to HTTP 400
// (they all describe bad input); their fields are part of the contract.

export class ManifestsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ApplicationSpecIssue {
  /** Where in the document, e.g. `spec.targets[0].patches[1].merge`; "" for the whole document. */
  readonly path: string;
  readonly message: string;
}

/** An application file or REST body that does not follow APPLICATION.md; every issue found is listed. */
export class InvalidApplicationSpecError extends ManifestsError {
  constructor(
    readonly issues: readonly ApplicationSpecIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid application: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')}`,
      options,
    );
  }
}

export class InvalidJsonPointerError extends ManifestsError {}

/** An RFC 6902 patch that does not apply (a failed test, a missing path, a malformed operation). */
export class JsonPatchError extends ManifestsError {
  constructor(
    message: string,
    /** Index of the failing operation in the patch. */
    readonly operationIndex: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
