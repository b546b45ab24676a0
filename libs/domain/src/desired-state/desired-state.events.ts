import type { ObjectPolicy } from '@flotilla/manifests';
import type { DomainEvent } from '../decider';

/** How an assigned application is kept in sync (the application's syncPolicy, as the agent needs it). */
export interface AssignedPolicy {
  automated: boolean;
  prune: boolean;
  driftMode: 'detect' | 'correct';
  ignoredFields: Record<string, string[]>;
  /** Present only when true (older assignments have neither): take over objects that are not the application's. */
  adopt?: true;
  /** Present only when true: the agent creates the target namespace when missing. */
  createNamespace?: true;
}

/** One application in a cluster's desired state: what to run, from which commit, as which bundle. */
export interface AssignedApplication {
  name: string;
  source: string;
  commit: string;
  bundleDigest: string;
  namespace?: string;
  policy: AssignedPolicy;
  /**
   * What the application may create (the admin's policy), enforced again by the agent. Absent
   * only in assignments recorded before policies existed; the agent then enforces the default.
   */
  objectPolicy?: ObjectPolicy;
  /**
   * The id of the `apps sync` request (its ApplicationSyncRequested event) that asked for this
   * assignment: a new one makes the agent re-apply, prune and assess health even when the
   * bundle is unchanged. Kept while the assignment stays the same.
   */
  syncRequest?: string;
}

/** Appended to `cluster-<id>`: the full set the cluster should run from now on. */
export type DesiredStateAssigned = DomainEvent<
  'DesiredStateAssigned',
  { clusterId: string; revision: number; applications: AssignedApplication[] }
>;

/**
 * Appended to `application-<name>`: one (application, commit, cluster) rendered into a stored
 * bundle. Stored as `RevisionRendered`, a name that never changes; it records a bundle, not a
 * revision (the revision is the cluster's desired-state counter, in DesiredStateAssigned).
 */
export type BundleRendered = DomainEvent<
  'RevisionRendered',
  {
    application: string;
    source: string;
    commit: string;
    clusterId: string;
    /** Which renderer and tool version made the bundle (absent in events recorded before renderers existed). */
    renderer?: { kind: string; tool?: string; chart?: string; kubeVersion?: string };
    bundleDigest: string;
    objectCount: number;
    sizeBytes: number;
  }
>;

export interface RenderFailure {
  /** Path relative to the source root, or null when the error is not about one file. */
  file: string | null;
  documentIndex: number | null;
  code: string;
  reason: string;
}

/** Appended to `application-<name>`: the commit did not render; no cluster moves to it. */
export type RenderFailed = DomainEvent<
  'RenderFailed',
  { application: string; source: string; commit: string; clusterId?: string; errors: RenderFailure[] }
>;

export const desiredStateAssignedType = 'DesiredStateAssigned';
/** The stored type of BundleRendered. */
export const bundleRenderedType = 'RevisionRendered';
export const renderFailedType = 'RenderFailed';
