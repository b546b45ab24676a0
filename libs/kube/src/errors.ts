/** The base of every error this library throws, so callers can tell them from client-node's. */
export class KubeReconcileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An application name that cannot be a label value or part of the inventory's name. */
export class InvalidApplicationNameError extends KubeReconcileError {}

/** The inventory ConfigMap exists but cannot be parsed: we refuse to guess what we own. */
export class CorruptInventoryError extends KubeReconcileError {}

/** A CRD did not become Established (or its kind was not served) in time. */
export class CrdNotEstablishedError extends KubeReconcileError {}
