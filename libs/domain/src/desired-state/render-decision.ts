import type { AssignedApplication, RenderFailed, RenderFailure, BundleRendered } from './desired-state.events';
import type { ClusterScope, PlannedApplication, RenderRequest, RenderTarget } from './desired-state.planner';
import { assignedApplication, commitAccepted, type ApplicationChange } from './next-desired-state';

/**
 * The second half of the desired-state planner (pure): from one request and what rendering
 * it gave, the assignments that change, the events to record, the application's new
 * accepted/failed commits and any follow-up request.
 */

/** A rendered bundle as the decision needs it (a libs/manifests Bundle fits). */
export interface RenderedBundle {
  digest: string;
  sizeBytes: number;
  objects: readonly unknown[];
}

export type RenderOutcome =
  | { clusterId: string; ok: true; bundle: RenderedBundle; renderer?: BundleRendered['data']['renderer'] }
  | { clusterId: string; ok: false; errors: RenderFailure[] };

/** The applications each live cluster runs now, of the application a request is about. */
export type Running = ReadonlyMap<string, AssignedApplication>;

export interface RenderDecision {
  changes: Array<{ clusterId: string; change: ApplicationChange }>;
  rendered: Array<BundleRendered['data']>;
  failed: Array<RenderFailed['data']>;
  /** Digests of the bundles some cluster is now assigned: to be stored. */
  bundles: string[];
  /** The application's accepted and failed commits after this request, when they changed. */
  application?: Pick<PlannedApplication, 'goodCommit' | 'failedCommit'>;
  /** The commit that did not render for every targeted cluster (no cluster moved to it). */
  rejected?: string;
  next: RenderRequest[];
}

/** Which of the request's targets are to be rendered, given what the clusters run now. */
export function pairsToRender(request: RenderRequest, running: Running): RenderTarget[] {
  switch (request.kind) {
    case 'commit':
    case 'pairs':
      return request.commit === null ? [] : request.targets;
    case 'preview':
      return request.targets;
    case 'fill':
      return request.targets.filter((t) => !running.has(t.cluster.clusterId));
    case 'remove':
      return [];
  }
}

/** What the outcomes of `pairsToRender(request, running)` change. */
export function decideRender(
  request: RenderRequest,
  outcomes: readonly RenderOutcome[],
  running: Running,
): RenderDecision {
  const decision: RenderDecision = { changes: [], rendered: [], failed: [], bundles: [], next: [] };
  if (request.kind === 'remove') {
    for (const clusterId of running.keys())
      decision.changes.push({ clusterId, change: { name: request.application, assignment: null } });
    return decision;
  }
  const app = request.application;
  if (request.kind === 'preview') return preview(decision, request, outcomes);
  const targeted = new Set(request.targets.map((t) => t.cluster.clusterId));
  if (request.kind !== 'fill') {
    const scope = request.scope;
    for (const clusterId of running.keys()) {
      if (inScope(scope, clusterId) && !targeted.has(clusterId))
        decision.changes.push({ clusterId, change: { name: app.name, assignment: null } });
    }
  }
  if (request.kind !== 'commit') {
    // Each cluster on its own: one that cannot render the accepted commit keeps what it runs.
    for (const outcome of outcomes) {
      if (outcome.ok) accept(decision, request, request.commit!, outcome, running, undefined);
      else recordFailures(decision, app, request.commit!, [outcome]);
    }
    return decision;
  }
  const { commit, sync, scope } = request;
  if (commit !== null && commitAccepted(outcomes)) {
    decision.application = { goodCommit: commit, failedCommit: null };
    for (const outcome of outcomes) {
      if (outcome.ok && inScope(scope, outcome.clusterId)) accept(decision, request, commit, outcome, running, sync);
    }
    return decision;
  }
  if (commit !== null) {
    // All or nothing: no cluster moves to a commit that did not render for every targeted
    // cluster (each keeps what it had), so a bad commit never half-applies.
    decision.application = { goodCommit: app.goodCommit, failedCommit: commit };
    decision.rejected = commit;
    recordFailures(decision, app, commit, outcomes);
    if (app.goodCommit !== null && app.goodCommit !== commit)
      decision.next.push({ kind: 'fill', application: app, commit: app.goodCommit, targets: request.targets });
  }
  if (sync !== undefined) {
    // A sync that cannot move the clusters still re-applies what they run.
    for (const [clusterId, current] of running) {
      if (inScope(scope, clusterId) && targeted.has(clusterId))
        decision.changes.push({ clusterId, change: { name: app.name, assignment: { ...current, syncRequest: sync } } });
    }
  }
  return decision;
}

/** A manual application's new commit: recorded as rendered (every cluster, or none) or failed, assigned nowhere. */
function preview(
  decision: RenderDecision,
  request: Extract<RenderRequest, { kind: 'preview' }>,
  outcomes: readonly RenderOutcome[],
): RenderDecision {
  const app = request.application;
  if (!commitAccepted(outcomes)) {
    decision.rejected = request.commit;
    recordFailures(decision, app, request.commit, outcomes);
    return decision;
  }
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    decision.bundles.push(outcome.bundle.digest);
    decision.rendered.push(renderedEvent(app, request.commit, outcome));
  }
  return decision;
}

function renderedEvent(
  app: PlannedApplication,
  commit: string,
  outcome: Extract<RenderOutcome, { ok: true }>,
): BundleRendered['data'] {
  return {
    application: app.name,
    source: app.spec.source,
    commit,
    clusterId: outcome.clusterId,
    bundleDigest: outcome.bundle.digest,
    objectCount: outcome.bundle.objects.length,
    sizeBytes: outcome.bundle.sizeBytes,
    ...(outcome.renderer ? { renderer: outcome.renderer } : {}),
  };
}

function inScope(scope: ClusterScope, clusterId: string): boolean {
  return scope === 'all' || scope.includes(clusterId);
}

/** A successful render: the cluster is assigned the bundle (recorded when it is new to the cluster). */
function accept(
  decision: RenderDecision,
  request: Extract<RenderRequest, { kind: 'commit' | 'fill' | 'pairs' }>,
  commit: string,
  outcome: Extract<RenderOutcome, { ok: true }>,
  running: Running,
  sync: string | undefined,
): void {
  const app = request.application;
  const { cluster, target } = request.targets.find((t) => t.cluster.clusterId === outcome.clusterId)!;
  const current = running.get(outcome.clusterId);
  const fresh = assignedApplication({
    name: app.name,
    spec: app.spec,
    target,
    cluster,
    commit,
    bundleDigest: outcome.bundle.digest,
    objectPolicy: app.policy,
  });
  const unchanged = current !== undefined && current.commit === commit && current.bundleDigest === fresh.bundleDigest;
  // A sync's id stays while the assignment stays the same, so re-evaluating it re-applies nothing.
  const syncRequest = sync ?? (unchanged ? current.syncRequest : undefined);
  const assignment = syncRequest !== undefined ? { ...fresh, syncRequest } : fresh;
  decision.changes.push({ clusterId: outcome.clusterId, change: { name: app.name, assignment } });
  decision.bundles.push(outcome.bundle.digest);
  if (!unchanged) decision.rendered.push(renderedEvent(app, commit, outcome));
}

/** One RenderFailed per cluster, or one for all when every cluster failed the same way (a broken file). */
function recordFailures(
  decision: RenderDecision,
  app: PlannedApplication,
  commit: string,
  outcomes: readonly RenderOutcome[],
): void {
  const failures = outcomes.filter((o): o is Extract<RenderOutcome, { ok: false }> => !o.ok);
  const distinct = new Set(failures.map((f) => JSON.stringify(f.errors)));
  const shared = failures.length > 1 && failures.length === outcomes.length && distinct.size === 1;
  const entries: Array<{ clusterId?: string; errors: RenderFailure[] }> = shared
    ? [{ errors: failures[0]!.errors }]
    : failures.map((f) => ({ clusterId: f.clusterId, errors: f.errors }));
  for (const entry of entries) {
    decision.failed.push({
      application: app.name,
      source: app.spec.source,
      commit,
      ...(entry.clusterId ? { clusterId: entry.clusterId } : {}),
      errors: entry.errors,
    });
  }
}
