import type { ApplicationSpec, ApplicationTarget, ObjectPolicy } from '@flotilla/manifests';
import type { ApplicationPolicySet } from '../applications/application-policy.decider';
import { desiredPin, type ApplicationEvent } from '../applications/application.decider';
import type { ClusterLabelsChanged, ClusterRegistered } from '../cluster.decider';
import type { ClusterGroupCreated, ClusterGroupDeleted } from '../cluster-group.decider';
import type { CommitObserved, SourceHistoryRewritten } from '../sources/source.decider';
import {
  referencesGroup,
  targetedClusters,
  touchesPath,
  type ClusterGroupSelector,
  type TargetableCluster,
} from './targeting';

/**
 * The first half of the desired-state planner (pure): given the reactor's view of the fleet
 * and one event from the log, which (application, commit, clusters) to render and how the
 * outcome is to be used. The second half (`render-decision.ts`) turns the render outcomes
 * into assignments and recorded events. The hub's reactor does the I/O in between: it reads
 * the view, renders through one port, and appends what the decision says.
 */

/** One application as the reactor sees it. */
export interface PlannedApplication {
  name: string;
  spec: ApplicationSpec;
  /** The operator's pin (`apps pin`); `spec.pinnedCommit` is the file's own. */
  pinnedCommit: string | null;
  /** The last commit every targeted cluster rendered and was assigned: what clusters joining later get. */
  goodCommit: string | null;
  /** The last commit that failed to render for some targeted cluster (not retried for each relabel). */
  failedCommit: string | null;
  /** What the application may create (the admin's policy, or the default): every bundle is checked against it. */
  policy: ObjectPolicy;
}

/** The reactor's view of the log at the event being planned (after the event itself is taken in). */
export interface PlannerView {
  applications: readonly PlannedApplication[];
  clusters: readonly TargetableCluster[];
  groups: readonly ClusterGroupSelector[];
  /** The newest commit observed on each source (absent or null: none yet). */
  latestCommits: Readonly<Record<string, string | null>>;
}

/** The events that make the reactor render or unassign (the others only update its view). */
export type PlannedEvent =
  | CommitObserved
  | SourceHistoryRewritten
  | ApplicationEvent
  | ApplicationPolicySet
  | ClusterRegistered
  | ClusterLabelsChanged
  | ClusterGroupCreated
  | ClusterGroupDeleted;

export interface RenderTarget {
  cluster: TargetableCluster;
  target: ApplicationTarget;
}

/** The clusters whose assignment of the application a request reviews: those not targeted drop it. */
export type ClusterScope = 'all' | readonly string[];

/**
 * One unit of work. Each kind is one rule, and the decision treats each its own way:
 * - `commit`: render at `commit` for every targeted cluster, all or nothing; assign when all
 *   rendered (null commit: only drop the application where it is no longer targeted);
 * - `preview`: a new commit of a manual application: rendered and recorded for every
 *   targeted cluster (so status can show it and whether it renders), assigned nowhere;
 * - `fill`: render at the accepted commit only where the application is not running yet;
 * - `pairs`: re-render each cluster in scope at the accepted commit, on its own;
 * - `remove`: the application is gone: drop it everywhere.
 */
export type RenderRequest =
  | {
      kind: 'commit';
      application: PlannedApplication;
      commit: string | null;
      targets: RenderTarget[];
      scope: ClusterScope;
      /** Set by `apps sync`: the request's id, carried in the assignment so the agent re-applies. */
      sync?: string;
    }
  | { kind: 'preview'; application: PlannedApplication; commit: string; targets: RenderTarget[] }
  | { kind: 'fill'; application: PlannedApplication; commit: string; targets: RenderTarget[] }
  | {
      kind: 'pairs';
      application: PlannedApplication;
      commit: string | null;
      targets: RenderTarget[];
      scope: ClusterScope;
    }
  | { kind: 'remove'; application: string };

/** What one event asks the reactor to render, in order. */
export function planEvent(view: PlannerView, event: PlannedEvent, eventId: string): RenderRequest[] {
  switch (event.type) {
    case 'CommitObserved':
    case 'SourceHistoryRewritten': {
      const rewritten = event.type === 'SourceHistoryRewritten';
      const sha = event.type === 'CommitObserved' ? event.data.sha : event.data.newSha;
      return view.applications.flatMap((app) => {
        if (app.spec.source !== event.data.source || desiredPin(app) !== null) return [];
        // A rewrite may have moved the branch back: every application on it re-renders.
        const touched =
          rewritten ||
          app.goodCommit === null ||
          touchesPath(app.spec.path, event.data.changedPaths, event.data.changedPathsTruncated);
        if (!touched) return [];
        return app.spec.syncPolicy.automated ? commitRequests(view, app, sha) : [previewRequest(view, app, sha)];
      });
    }
    case 'ApplicationCreated':
    case 'ApplicationChanged': {
      const app = applicationOf(view, event.data.name);
      if (!app) return [];
      const requests = commitRequests(view, app, followedCommit(view, app));
      // A manual application shows its newest commit too, without moving to it.
      const newest = newestCommit(view, app);
      if (!app.spec.syncPolicy.automated && newest !== null && newest !== followedCommit(view, app))
        requests.push(previewRequest(view, app, newest));
      return requests;
    }
    case 'ApplicationPinned':
    case 'ApplicationUnpinned': {
      const app = applicationOf(view, event.data.name);
      return app ? commitRequests(view, app, followedCommit(view, app)) : [];
    }
    case 'ApplicationPolicySet': {
      // As an edit of the application: what it runs is checked again (a narrower policy may
      // refuse it: the clusters keep it and RenderFailed says why), and a commit the old
      // policy refused renders again (the view forgot it as failed).
      const app = applicationOf(view, event.data.application);
      if (!app) return [];
      const requests = commitRequests(view, app, followedCommit(view, app));
      const newest = newestCommit(view, app);
      if (!app.spec.syncPolicy.automated && newest !== null && newest !== followedCommit(view, app))
        requests.push(previewRequest(view, app, newest));
      return requests;
    }
    case 'ApplicationDeleted':
      return [{ kind: 'remove', application: event.data.name }];
    case 'ApplicationSyncRequested': {
      const app = applicationOf(view, event.data.name);
      if (!app) return [];
      const scope = event.data.clusterId === undefined ? 'all' : [event.data.clusterId];
      // The one way a manual application moves to a new commit.
      return [{ ...commitRequest(view, app, newestCommit(view, app)), scope, sync: eventId }];
    }
    case 'ClusterRegistered':
    case 'ClusterLabelsChanged':
      return view.applications.flatMap((app) => pairRequests(view, app, [event.data.clusterId]));
    case 'ClusterGroupCreated':
    case 'ClusterGroupDeleted':
      return view.applications
        .filter((app) => referencesGroup(app.spec, event.data.name))
        .flatMap((app) => pairRequests(view, app, 'all'));
  }
}

/**
 * The commit an application's clusters are to run: its pin; else, when automated, its
 * source's newest observed commit; else (manual) the commit it was last accepted at, which
 * only `apps sync` (or a pin) changes.
 */
export function followedCommit(view: Pick<PlannerView, 'latestCommits'>, app: PlannedApplication): string | null {
  const pin = desiredPin(app);
  if (pin !== null) return pin;
  return app.spec.syncPolicy.automated ? newestCommit(view, app) : app.goodCommit;
}

/** What `apps sync` moves to: the pin, else the source's newest observed commit. */
export function newestCommit(view: Pick<PlannerView, 'latestCommits'>, app: PlannedApplication): string | null {
  return desiredPin(app) ?? view.latestCommits[app.spec.source] ?? null;
}

function applicationOf(view: PlannerView, name: string): PlannedApplication | undefined {
  return view.applications.find((app) => app.name === name);
}

function targetsOf(view: PlannerView, app: PlannedApplication): RenderTarget[] {
  return targetedClusters(app.spec, view.clusters, view.groups).map(({ cluster, target }) => ({ cluster, target }));
}

function commitRequest(
  view: PlannerView,
  app: PlannedApplication,
  commit: string | null,
): Extract<RenderRequest, { kind: 'commit' }> {
  return { kind: 'commit', application: app, commit, targets: targetsOf(view, app), scope: 'all' };
}

function previewRequest(view: PlannerView, app: PlannedApplication, commit: string): RenderRequest {
  return { kind: 'preview', application: app, commit, targets: targetsOf(view, app) };
}

/** Moving the application to `commit` everywhere it is targeted (all or nothing). */
function commitRequests(view: PlannerView, app: PlannedApplication, commit: string | null): RenderRequest[] {
  if (commit === null || commit !== app.failedCommit) return [commitRequest(view, app, commit)];
  // Already known bad for this spec: it is not rendered again; only clusters with nothing get the last good commit.
  const requests: RenderRequest[] = [commitRequest(view, app, null)];
  if (app.goodCommit !== null)
    requests.push({ kind: 'fill', application: app, commit: app.goodCommit, targets: targetsOf(view, app) });
  return requests;
}

/**
 * A relabel, a new cluster or a group change: clusters in scope render at the accepted
 * commit (each on its own), others drop the application. An application never accepted yet
 * renders everywhere instead (its first render).
 */
function pairRequests(view: PlannerView, app: PlannedApplication, scope: ClusterScope): RenderRequest[] {
  if (app.goodCommit === null) {
    const commit = followedCommit(view, app);
    if (commit !== null && commit !== app.failedCommit) return [commitRequest(view, app, commit)];
  }
  const inScope = (id: string) => scope === 'all' || scope.includes(id);
  const targets = targetsOf(view, app).filter((t) => inScope(t.cluster.clusterId));
  const known = scope === 'all' ? scope : scope.filter((id) => view.clusters.some((c) => c.clusterId === id));
  return [{ kind: 'pairs', application: app, commit: app.goodCommit, targets, scope: known }];
}
