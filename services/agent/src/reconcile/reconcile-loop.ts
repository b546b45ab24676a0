import {
  type Bundle,
  type ReconcileEvent,
  type ResourceResult,
  type SyncPolicy,
  type SyncResult,
} from '@flotilla/kube';
import pLimit from 'p-limit';
import { backoffDelay } from '../backoff';
import { defaultObjectPolicy } from '@flotilla/manifests';
import { durations } from '../durations';
import { AgentError } from '../errors';
import {
  DesiredStateRefusedError,
  type AssignedApplication,
  type DesiredStateFeed,
  type VerifiedDesiredState,
} from './desired-state-feed';
import { BundleFetchFailedError, ResourcesFailedError, syncFailureOf } from './reconcile.errors';
import type { KnownApplication, ReconcileStateStore } from './reconcile-state.store';
import type { AgentStatusEvent, AssignmentContext } from './status-report.mapper';

/** What the loop needs of libs/kube's Reconciler (the real one; tests use it against the emulator). */
export interface ReconcilerPort {
  sync(application: string, bundle: Bundle, policy: SyncPolicy): Promise<SyncResult>;
  remove(application: string): Promise<SyncResult>;
  startDriftWatch(): void;
  stopDriftWatch(): void;
}

export interface ReconcileLoopOptions {
  clusterId: string;
  feed: DesiredStateFeed;
  /** Builds the reconciler with the loop's event sink (the Reconciler's `onEvent`). */
  reconciler: (onEvent: (event: ReconcileEvent) => void) => ReconcilerPort;
  /** Where every status event goes, with the assignment it belongs to (the StatusReporter). */
  report: (event: AgentStatusEvent, context: AssignmentContext | undefined) => void;
  state: ReconcileStateStore;
  log: (line: string) => void;
  now?: () => Date;
  random?: () => number;
  /** Applications synced at once; each sync is itself concurrent per apply phase. */
  concurrency?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

/** Default of `concurrency`. */
export const RECONCILE_CONCURRENCY = 4;

interface Retry {
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  /** The sync key (or `remove`) the failure was about: a new assignment starts afresh. */
  key: string;
}

/**
 * The agent's reconcile loop: from each verified desired state it syncs the applications
 * whose bundle or policy changed, removes those no longer assigned (pruned only when their
 * last policy said prune), keeps the reconciler's drift watch and periodic full check
 * running, and turns everything into status events. A failure is reported (SyncFailed) and
 * becomes an AgentError (reconcile.errors.ts): retried with backoff when it is `retryable`,
 * else it waits for the next assignment.
 */
export class ReconcileLoop {
  private readonly reconciler: ReconcilerPort;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private desired: VerifiedDesiredState | undefined;
  /** The assignment each application's events belong to (set before its sync starts). */
  private readonly contexts = new Map<string, AssignmentContext>();
  /** Applications this agent has taken on, persisted: what an unassignment must clean up. */
  private known = new Map<string, KnownApplication>();
  /** Sync key of the last successful (or permanently failed) sync, this process only. */
  private readonly settled = new Map<string, string>();
  private readonly removing = new Set<string>();
  private readonly retries = new Map<string, Retry>();
  private chain: Promise<void> = Promise.resolve();
  private saves: Promise<void> = Promise.resolve();
  private started = false;
  private stopped = false;

  constructor(private readonly options: ReconcileLoopOptions) {
    this.reconciler = options.reconciler((event) => this.onReconcileEvent(event));
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.concurrency = options.concurrency ?? RECONCILE_CONCURRENCY;
    this.retryInitialMs = options.retryInitialMs ?? durations.reconcileRetryInitialMs;
    this.retryMaxMs = options.retryMaxMs ?? durations.reconcileRetryMaxMs;
  }

  /** Loads what the agent ran before, subscribes to the feed and starts the drift watch. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.known = await this.options.state.load();
    for (const [name, app] of this.known) this.contexts.set(name, contextOf(app));
    this.options.feed.onDesiredState((state) => this.onDesiredState(state));
    this.reconciler.startDriftWatch();
  }

  /** Stops after the pass in flight (bounded), cancels retries and the drift watch. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
    this.retries.clear();
    this.reconciler.stopDriftWatch();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.chain,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, durations.reconcileStopTimeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    await this.saves;
  }

  /** Resolves when the passes queued so far are done (tests, diagnostics). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** The desired-state handler: resolves once this state (or a newer one) has been reconciled. */
  onDesiredState(state: VerifiedDesiredState): Promise<void> {
    if (state.clusterId !== this.options.clusterId) {
      this.options.log(
        `refusing a desired state for cluster ${state.clusterId}: this agent runs cluster ${this.options.clusterId}`,
      );
      return Promise.resolve();
    }
    if (this.desired && state.revision < this.desired.revision) {
      this.options.log(
        `ignoring desired state revision ${state.revision}: revision ${this.desired.revision} is already in force`,
      );
      return Promise.resolve();
    }
    this.desired = state;
    return this.schedulePass();
  }

  private schedulePass(): Promise<void> {
    // Passes run one after another and each reads the newest desired state, so a burst of
    // assignments costs one pass per assignment at most, and unchanged applications are skipped.
    const pass = this.chain.then(() => this.pass());
    this.chain = pass.catch((err: unknown) => this.options.log(`reconcile pass failed: ${(err as Error).message}`));
    return this.chain;
  }

  private async pass(): Promise<void> {
    const desired = this.desired;
    if (!desired || this.stopped) return;
    const wanted = new Map(desired.applications.map((a) => [a.name, a]));
    const work: Array<() => Promise<void>> = [];
    for (const app of wanted.values()) {
      const key = syncKey(app);
      if (this.settled.get(app.name) === key) continue;
      if (this.waitingToRetry(app.name, key)) continue;
      work.push(() => this.syncApplication(app, desired.revision, key));
    }
    for (const name of this.known.keys()) {
      if (wanted.has(name) || this.waitingToRetry(name, 'remove')) continue;
      work.push(() => this.removeApplication(name));
    }
    const limit = pLimit(this.concurrency);
    await Promise.all(work.map((task) => limit(task)));
  }

  private async syncApplication(app: AssignedApplication, revision: number, key: string): Promise<void> {
    if (this.stopped) return;
    const context: AssignmentContext = {
      revision,
      commit: app.commit,
      bundleDigest: app.bundleDigest,
      driftMode: app.policy.driftMode,
    };
    this.contexts.set(app.name, context);
    // Known before the first object is created: a crash mid-sync still leaves it to clean up.
    this.known.set(app.name, {
      revision,
      commit: app.commit,
      bundleDigest: app.bundleDigest,
      policy: app.policy,
    });
    try {
      await this.persist();
    } catch (err) {
      this.failed(app, key, err);
      return;
    }
    const policy: SyncPolicy = {
      prune: app.policy.prune,
      driftMode: app.policy.driftMode,
      ignoredFields: app.policy.ignoredFields,
      ...(app.policy.adopt ? { adopt: true } : {}),
      ...(app.policy.createNamespace && app.namespace ? { createNamespace: app.namespace } : {}),
      // A state signed before policies existed carries none: the default (strict) one applies.
      objects: { policy: app.objectPolicy ?? defaultObjectPolicy, targetNamespace: app.namespace },
    };

    let bundle: Bundle;
    try {
      bundle = await this.fetchBundle(app.bundleDigest);
    } catch (err) {
      this.failed(app, key, err, 'cannot fetch the bundle: ');
      return;
    }

    let result: SyncResult;
    try {
      result = await this.reconciler.sync(app.name, bundle, policy);
    } catch (err) {
      this.failed(app, key, err, 'sync failed: ');
      return;
    }
    if (result.ok) {
      this.settled.set(app.name, key);
      this.clearRetry(app.name);
      return;
    }
    // The reconciler reported this SyncFailed itself, with its results.
    this.retryOrSettle(app.name, key, new ResourcesFailedError(result.results.filter((r) => r.action === 'failed')));
  }

  /** Reports a sync that failed before the reconciler could report it, then retries or settles. */
  private failed(app: AssignedApplication, key: string, err: unknown, prefix = ''): void {
    this.reportFailure(app.name, app.bundleDigest, `${prefix}${(err as Error).message}`, []);
    this.retryOrSettle(app.name, key, syncFailureOf(err));
  }

  /** The one rule: a retryable error backs off and tries again; any other waits for a new assignment. */
  private retryOrSettle(name: string, key: string, error: AgentError): void {
    if (error.retryable) {
      this.scheduleRetry(name, key);
      return;
    }
    this.options.log(`application ${name}: ${error.message}; not retried until the assignment changes`);
    this.settled.set(name, key);
    this.clearRetry(name);
  }

  private async removeApplication(name: string): Promise<void> {
    const known = this.known.get(name);
    if (!known || this.stopped) return;
    this.removing.add(name);
    try {
      let result: SyncResult;
      try {
        result = known.policy.prune
          ? await this.reconciler.remove(name)
          : // An empty bundle without prune drops the inventory and leaves the objects, unowned.
            await this.reconciler.sync(
              name,
              { digest: '', objects: [] },
              { prune: false, driftMode: known.policy.driftMode, ignoredFields: {} },
            );
      } catch (err) {
        this.reportFailure(name, known.bundleDigest, `removing the application failed: ${(err as Error).message}`, []);
        this.scheduleRetry(name, 'remove');
        return;
      }
      if (!result.ok) {
        const failed = result.results.filter((r) => r.action === 'failed');
        this.reportFailure(
          name,
          known.bundleDigest,
          `removing the application failed: ${failed.length} of ${result.results.length} resources could not be deleted`,
          result.results,
        );
        this.scheduleRetry(name, 'remove');
        return;
      }
      this.options.report(
        { type: 'ApplicationRemoved', application: name, pruned: known.policy.prune, at: this.now().toISOString() },
        this.contexts.get(name),
      );
      this.known.delete(name);
      this.settled.delete(name);
      this.contexts.delete(name);
      this.clearRetry(name);
      await this.persist();
    } finally {
      this.removing.delete(name);
    }
  }

  private async fetchBundle(digest: string): Promise<Bundle> {
    let bundle: { digest: string; objects: Bundle['objects'] };
    try {
      bundle = await this.options.feed.fetchBundle(digest);
    } catch (err) {
      // A refusal (DesiredStateRefusedError: a tampered bundle) stays what it is: terminal.
      if (err instanceof AgentError) throw err;
      throw new BundleFetchFailedError(digest, (err as Error).message, { cause: err });
    }
    if (bundle.digest !== digest)
      throw new DesiredStateRefusedError(
        'bundle-digest-mismatch',
        `asked for bundle ${digest}, received ${bundle.digest}`,
      );
    return { digest, objects: bundle.objects };
  }

  private onReconcileEvent(event: ReconcileEvent): void {
    // A removal reports ApplicationRemoved (or its own SyncFailed), not a sync of an empty bundle.
    if (this.removing.has(event.application) && event.type.startsWith('Sync')) return;
    this.options.report(event, this.contexts.get(event.application));
  }

  private reportFailure(application: string, bundleDigest: string, message: string, resources: ResourceResult[]): void {
    this.options.log(`application ${application}: ${message}`);
    this.options.report(
      { type: 'SyncFailed', application, bundleDigest, resources, message, at: this.now().toISOString() },
      this.contexts.get(application),
    );
  }

  private waitingToRetry(name: string, key: string): boolean {
    const retry = this.retries.get(name);
    if (!retry) return false;
    if (retry.key === key) return retry.timer !== undefined;
    // The assignment changed: its failure history no longer applies.
    this.clearRetry(name);
    return false;
  }

  private scheduleRetry(name: string, key: string): void {
    if (this.stopped) return;
    const previous = this.retries.get(name);
    const attempt = previous && previous.key === key ? previous.attempt : 0;
    clearTimeout(previous?.timer);
    const delay = backoffDelay(attempt, {
      initialMs: this.retryInitialMs,
      maxMs: this.retryMaxMs,
      random: this.random,
    });
    const retry: Retry = { attempt: attempt + 1, key, timer: undefined };
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      void this.schedulePass();
    }, delay);
    retry.timer.unref();
    this.retries.set(name, retry);
    this.options.log(`application ${name}: retrying in ${delay} ms (attempt ${retry.attempt})`);
  }

  private clearRetry(name: string): void {
    clearTimeout(this.retries.get(name)?.timer);
    this.retries.delete(name);
  }

  private persist(): Promise<void> {
    const snapshot = new Map(this.known);
    // Writes are serialised and each writes the whole set, so the last one on disk is the newest.
    const save = this.saves.then(() => this.options.state.save(snapshot));
    this.saves = save.catch(() => undefined);
    return save;
  }
}

function contextOf(app: KnownApplication): AssignmentContext {
  return {
    revision: app.revision,
    commit: app.commit,
    bundleDigest: app.bundleDigest,
    driftMode: app.policy.driftMode,
  };
}

/**
 * What makes a new sync necessary: the bundle, the sync or object policy; the commit too, so the applied
 * commit always tracks the desired one (a revert to content already applied still reports
 * the new commit); and a new `apps sync` request, which forces a re-apply, prune and health
 * check of an unchanged bundle.
 */
export function syncKey(app: AssignedApplication): string {
  const { automated, prune, driftMode, ignoredFields } = app.policy;
  const fields = Object.keys(ignoredFields)
    .sort()
    .map((k) => [k, [...(ignoredFields[k] ?? [])].sort()]);
  const forced = [app.commit, app.syncRequest ?? ''];
  // Only when set, so keys of assignments made before these options existed stay the same.
  const options = [app.policy.adopt ? 'adopt' : '', app.policy.createNamespace ? 'createNamespace' : ''].filter(
    Boolean,
  );
  // A new object policy is judged again (a grant lets a refused bundle through, a narrower one refuses).
  const objects = app.objectPolicy ?? null;
  return JSON.stringify([
    app.bundleDigest,
    app.namespace ?? '',
    automated,
    prune,
    driftMode,
    fields,
    ...forced,
    ...options,
    ...(objects ? [objects] : []),
  ]);
}
