import type { ObjectPolicy } from '@flotilla/manifests';
import type { KubeObject, ResourceRef } from './resource-ref';

/** The desired state of one application on this cluster, as rendered by the hub. */
export interface Bundle {
  /** Content digest of the rendered bundle (e.g. `sha256:...`); stamped on every object. */
  digest: string;
  objects: KubeObject[];
}

export interface SyncPolicy {
  /** Delete what the application used to own and the bundle no longer has. */
  prune: boolean;
  /** `detect` only reports drift; `correct` re-applies and reports the correction. */
  driftMode: 'detect' | 'correct';
  /** JSON pointers per `Kind` (core) or `group/Kind`, never drift; a `*` segment matches any key or index. */
  ignoredFields: Record<string, string[]>;
  /**
   * Take over objects that exist and are not this application's (no `flotilla.dev/application`
   * label naming it, and not in its inventory). Off: each is a conflict (`NotOwned`), left alone;
   * one object may still opt in with the annotation `flotilla.dev/adopt: "true"` in git.
   */
  adopt?: boolean;
  /** A namespace to create (labelled as ours, never pruned) before applying, when it is missing. */
  createNamespace?: string;
  /**
   * What the application may create (the hub's signed policy) and its target namespace: a
   * bundle holding anything else is refused whole, before anything in the cluster changes.
   * Absent: not checked (removals, and callers that are not the agent's reconcile loop).
   */
  objects?: { policy: ObjectPolicy; targetNamespace?: string | undefined };
}

/**
 * What this agent may touch. Anything outside is refused before any API call. Entries:
 * namespaces by name or `*`; kinds as `Kind` (core group), `group/Kind`, `group/*` or `*`.
 */
export interface AgentScope {
  namespaces: string[];
  kinds: string[];
}

export type ResourceAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'failed';

export interface ResourceResult {
  ref: ResourceRef;
  action: ResourceAction;
  /** Machine-readable: the API's Status.reason for API failures, or one of ours (`NotAllowed`, ...). */
  reason?: string;
  message?: string;
}

export type HealthStatus = 'healthy' | 'progressing' | 'degraded' | 'missing';

export interface Health {
  status: HealthStatus;
  message: string;
}
