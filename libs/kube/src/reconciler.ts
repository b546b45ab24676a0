import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { checkObjectPolicy, type ObjectPolicyViolation, type ObjectScope } from '@flotilla/manifests';
import { checkScope, namespaceAllowed } from './allowlist';
import { CollectionWatch, type WatchStats } from './collection-watch';
import { applyPhases, isCrd, sortForApply, sortForDelete } from './apply-order';
import { computeDrift } from './drift.diff';
import { DURATIONS, type Durations } from './durations';
import { CrdNotEstablishedError, InvalidApplicationNameError } from './errors';
import { assessHealth, worstHealth } from './health.rules';
import { InventoryStore, type Inventory, type InventoryEntry } from './inventory.store';
import {
  ADOPT_ANNOTATION,
  APPLICATION_LABEL,
  BUNDLE_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  isValidApplicationName,
} from './labels';
import { RawObjectApi, describeApiError } from './object-api.client';
import type { DriftField, ReconcileEvent } from './reconcile.events';
import type { AgentScope, Bundle, Health, ResourceResult, SyncPolicy } from './reconcile.types';
import { redactMessage } from './redaction';
import { fillListMapKeys } from './server-defaults';
import { formatRef, groupKindOf, groupOf, refKey, refOf, type KubeObject, type ResourceRef } from './resource-ref';

export interface ReconcilerOptions {
  /** What this agent may touch; everything else is refused before any API call. */
  scope: AgentScope;
  /** Where the per-application inventory ConfigMaps live. */
  inventoryNamespace?: string;
  fieldManager?: string;
  /** Receives every event as it happens (the status outbox); results also carry them. */
  onEvent?: (event: ReconcileEvent) => void;
  /** Time is injected so events are reproducible in tests. */
  now?: () => Date;
  durations?: Partial<Durations>;
  /** Objects of one apply phase applied at once. */
  concurrency?: number;
}

export const RECONCILER_DEFAULTS = {
  inventoryNamespace: 'flotilla-system',
  fieldManager: 'flotilla-agent',
  concurrency: 8,
} as const;

export interface ResourceStatus {
  ref: ResourceRef;
  health: Health;
}

export interface SyncResult {
  application: string;
  bundle: string;
  ok: boolean;
  results: ResourceResult[];
  health: Health;
  resources: ResourceStatus[];
  events: ReconcileEvent[];
}

export interface DriftCheckResult {
  application: string;
  events: ReconcileEvent[];
  /** A sync of the application was waiting: the check stopped early and left the rest to it. */
  interrupted?: boolean;
}

/** What the drift side did since the reconciler started (tests and diagnostics). */
export interface DriftStats extends WatchStats {
  fullChecks: number;
  objectChecks: number;
  interruptedChecks: number;
}

interface AppliedObject {
  ref: ResourceRef;
  body: KubeObject;
  path: string;
  resource: V1APIResource;
}

/** What the reconciler remembers of an application between a sync and the next drift check. */
interface AppState {
  bundle: Bundle;
  policy: SyncPolicy;
  applied: Map<string, AppliedObject>;
  inventory: Inventory;
  drifted: Map<string, string>;
  /** What this application's resources last reported, status and message: a new message alone is news. */
  health: Map<string, Health>;
  appHealth?: Health;
  /** Each object's last assessed status, so a check of some objects still reports the application's health. */
  resources: Map<string, ResourceStatus>;
  /** The resourceVersion each object had when we last wrote or read it: a watch event carrying it is our own. */
  versions: Map<string, string>;
  /** When the last full drift check ran (rate limit of the periodic check). */
  lastFullCheckAt?: number;
  /** Objects of the bundle the last sync could not apply: not healthy until a sync applies them. */
  failed: ResourceStatus[];
}

class EventLog {
  readonly events: ReconcileEvent[] = [];
  constructor(private readonly sink?: (e: ReconcileEvent) => void) {}
  emit(e: ReconcileEvent): void {
    this.events.push(e);
    this.sink?.(e);
  }
}

const sameHealth = (a: Health | undefined, b: Health): boolean =>
  a !== undefined && a.status === b.status && a.message === b.message;

/** The health of an object the sync could not apply, with the API's own words. */
function failedHealth(result: ResourceResult, existed: boolean | undefined): Health {
  const why = `${result.reason ? `${result.reason}: ` : ''}${result.message ?? 'apply failed'}`;
  return existed === false
    ? { status: 'missing', message: `not applied: ${why}` }
    : { status: 'degraded', message: `apply failed: ${why}` };
}

/**
 * The agent's Kubernetes side: applies an application's bundle with server-side apply,
 * prunes what it no longer has, assesses health and watches for drift. One instance per
 * cluster; calls for one application are serialised, different applications run
 * concurrently.
 */
export class Reconciler {
  private readonly api: RawObjectApi;
  private readonly inventories: InventoryStore;
  private readonly fieldManager: string;
  private readonly concurrency: number;
  private readonly durations: Durations;
  private readonly now: () => Date;
  private readonly apps = new Map<string, AppState>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private watching = false;
  private driftTimer?: NodeJS.Timeout;
  private readonly watches = new Map<string, CollectionWatch>();
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  /** Per application: the objects a coming check must look at, with the version seen ('all': a full check). */
  private readonly pendingChecks = new Map<string, Map<string, string | undefined> | 'all'>();
  /** Syncs waiting for an application's lock: a drift check in progress gives way to them. */
  private readonly syncsWaiting = new Map<string, number>();
  private readonly stats: DriftStats = { fullChecks: 0, objectChecks: 0, interruptedChecks: 0, lists: 0, resumes: 0 };

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: ReconcilerOptions,
  ) {
    this.api = RawObjectApi.forConfig(kubeConfig);
    this.fieldManager = options.fieldManager ?? RECONCILER_DEFAULTS.fieldManager;
    this.concurrency = options.concurrency ?? RECONCILER_DEFAULTS.concurrency;
    this.durations = { ...DURATIONS, ...options.durations };
    this.now = options.now ?? (() => new Date());
    this.inventories = new InventoryStore(
      this.api,
      options.inventoryNamespace ?? RECONCILER_DEFAULTS.inventoryNamespace,
      this.fieldManager,
    );
  }

  /** Applies the bundle of one application; an empty bundle removes the application (when pruning). */
  sync(application: string, bundle: Bundle, policy: SyncPolicy): Promise<SyncResult> {
    assertApplicationName(application);
    // A new revision never waits behind a drift check: the check sees this and stops at its
    // next object (the sync re-reads and re-applies everything anyway).
    this.syncsWaiting.set(application, (this.syncsWaiting.get(application) ?? 0) + 1);
    return this.serial(application, () => {
      const waiting = (this.syncsWaiting.get(application) ?? 1) - 1;
      if (waiting > 0) this.syncsWaiting.set(application, waiting);
      else this.syncsWaiting.delete(application);
      return this.doSync(application, bundle, policy);
    });
  }

  /** Deletes everything the application owns (ownership checked object by object) and its inventory. */
  remove(application: string): Promise<SyncResult> {
    assertApplicationName(application);
    return this.serial(application, () => this.doRemove(application, new EventLog(this.options.onEvent), ''));
  }

  /** Compares every object of the application with the cluster now; what the periodic check and watches call. */
  checkDrift(application: string): Promise<DriftCheckResult> {
    return this.serial(application, () => this.doCheckDrift(application));
  }

  /** Counters of full and per-object checks, lists and resumed watches. */
  driftStats(): DriftStats {
    return { ...this.stats };
  }

  /** Periodic full checks plus watches on every kind and namespace the synced applications use. */
  startDriftWatch(): void {
    if (this.watching) return;
    this.watching = true;
    // Full checks are the safety net under the watches: at most one per application per period.
    this.driftTimer = setInterval(() => {
      const due = Date.now() - this.durations.driftCheckIntervalMs / 2;
      for (const [app, state] of this.apps) {
        if ((state.lastFullCheckAt ?? 0) <= due) this.scheduleCheck(app, 0, 'all');
      }
    }, this.durations.driftCheckIntervalMs);
    this.driftTimer.unref?.();
    for (const app of this.apps.keys()) this.refreshWatches(app);
  }

  stopDriftWatch(): void {
    this.watching = false;
    if (this.driftTimer) clearInterval(this.driftTimer);
    this.driftTimer = undefined;
    for (const key of [...this.watches.keys()]) this.stopWatch(key);
    for (const t of this.debounce.values()) clearTimeout(t);
    this.debounce.clear();
    this.pendingChecks.clear();
  }

  /** Applications this reconciler has synced since it started. */
  applications(): string[] {
    return [...this.apps.keys()];
  }

  private async serial<T>(application: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(application) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(application, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(application) === settled) this.locks.delete(application);
    }
  }

  private at(): string {
    return this.now().toISOString();
  }

  private async doSync(application: string, bundle: Bundle, policy: SyncPolicy): Promise<SyncResult> {
    const log = new EventLog(this.options.onEvent);
    log.emit({ type: 'SyncStarted', application, bundleDigest: bundle.digest, at: this.at() });
    if (bundle.objects.length === 0) {
      if (policy.prune) return this.doRemove(application, log, bundle.digest, true);
      // Without prune an empty bundle abandons the objects: they stay, no longer owned.
      await this.inventories.delete(application);
      this.forgetApp(application);
      return this.finish(application, bundle.digest, [], [], log);
    }

    // A new agent process or a CRD changed since the last sync: never trust old scope data.
    this.api.forgetDiscovery();
    const results: ResourceResult[] = [];
    const previous = await this.inventories.load(application);
    if (policy.createNamespace) {
      const created = await this.ensureNamespace(application, policy.createNamespace);
      if (created) results.push(created);
    }
    // Objects this application owns although their label says otherwise (edited by hand).
    const ownedUids = new Set((previous?.entries ?? []).flatMap((e) => (e.uid ? [e.uid] : [])));
    const candidates: { ref: ResourceRef; body: KubeObject }[] = [];
    const desiredKeys = new Set<string>();
    for (const raw of bundle.objects) {
      const invalid = validateObject(raw);
      if (invalid) {
        results.push({ ref: safeRef(raw), action: 'failed', reason: 'Invalid', message: invalid });
        continue;
      }
      const ref = refOf(raw);
      const key = refKey(ref);
      if (desiredKeys.has(key)) {
        results.push({
          ref,
          action: 'failed',
          reason: 'Duplicate',
          message: `${formatRef(ref)} appears twice in the bundle`,
        });
        continue;
      }
      desiredKeys.add(key);
      const refused = checkScope(this.options.scope, ref);
      if (refused) {
        results.push({ ref, action: 'failed', reason: 'NotAllowed', message: refused });
        continue;
      }
      candidates.push({ ref, body: stamp(raw, application, bundle.digest) });
    }

    if (policy.objects) {
      const refused = await this.refusedByPolicy(candidates, policy.objects);
      if (refused.length > 0) {
        // All or nothing: one object outside the application's policy and nothing of the
        // bundle is applied, nothing pruned, the inventory untouched (what ran keeps running).
        const shown = refused
          .slice(0, 3)
          .map((r) => r.message)
          .join('; ');
        const more = refused.length > 3 ? `; and ${refused.length - 3} more` : '';
        const message = `bundle refused, nothing applied: ${refused.length} object(s) outside the application's policy: ${shown}${more}`;
        return this.finish(application, bundle.digest, [...results, ...refused], [], log, message);
      }
    }

    // Record what we are about to create before creating it (see Inventory.pendingBundle).
    const oldEntries = previous?.entries ?? [];
    const oldKeys = new Map(oldEntries.map((e) => [refKey(e), e]));
    const adding = candidates.filter((c) => !oldKeys.has(refKey(c.ref)));
    if (adding.length > 0) {
      await this.inventories.save({
        application,
        bundle: previous?.bundle,
        pendingBundle: bundle.digest,
        entries: [...oldEntries, ...adding.map((c) => ({ ...c.ref }))],
      });
    }

    const crdKinds = new Set(
      candidates
        .filter((c) => isCrd(c.ref))
        .map((c) => {
          const spec = (c.body.spec ?? {}) as { group?: string; names?: { kind?: string } };
          return `${spec.group}/${spec.names?.kind}`;
        }),
    );
    const applied = new Map<string, AppliedObject>();
    const liveByKey = new Map<string, KubeObject>();
    const existedByKey = new Map<string, boolean>();
    for (const phase of applyPhases(sortForApply(candidates.map((c) => c.body)))) {
      const limit = pLimit(this.concurrency);
      const outcomes = await Promise.all(
        phase.map((body) => limit(() => this.applyOne(body, policy, crdKinds, { application, ownedUids }))),
      );
      for (const o of outcomes) {
        results.push(o.result);
        if (o.existed !== undefined) existedByKey.set(refKey(o.result.ref), o.existed);
        if (o.applied && o.live) {
          applied.set(refKey(o.applied.ref), o.applied);
          liveByKey.set(refKey(o.applied.ref), o.live);
        }
      }
      const crds = outcomes.filter((o) => o.applied && isCrd(o.applied.ref));
      await Promise.all(crds.map((o) => this.awaitEstablished(o, liveByKey)));
    }

    // The new inventory: what we applied (with its current uid), plus whatever we owned
    // and could not apply this time or must not prune: ownership is never dropped by accident.
    const entries = new Map<string, InventoryEntry>();
    for (const a of applied.values()) {
      entries.set(refKey(a.ref), { ...a.ref, uid: liveByKey.get(refKey(a.ref))?.metadata.uid });
    }
    const toPrune: InventoryEntry[] = [];
    for (const e of oldEntries) {
      const key = refKey(e);
      if (entries.has(key)) continue;
      if (desiredKeys.has(key)) entries.set(key, e);
      else if (policy.prune) toPrune.push(e);
    }
    // A resource that could not be applied is not healthy: missing when we saw it absent,
    // degraded otherwise (it may run an old version, or we could not even read it).
    const failed: ResourceStatus[] = results
      .filter((r) => r.action === 'failed')
      .map((r) => ({ ref: r.ref, health: failedHealth(r, existedByKey.get(refKey(r.ref))) }));
    const inventory: Inventory = { application, bundle: bundle.digest, entries: [] };
    if (toPrune.length > 0) {
      const pruned = await this.prune(application, toPrune, previous?.pendingBundle);
      results.push(...pruned.results);
      for (const kept of pruned.kept) entries.set(refKey(kept), kept);
    }
    inventory.entries = [...entries.values()];
    await this.inventories.save(inventory);

    const state: AppState = this.apps.get(application) ?? {
      bundle,
      policy,
      applied,
      inventory,
      drifted: new Map(),
      health: new Map(),
      resources: new Map(),
      versions: new Map(),
      failed,
    };
    Object.assign(state, { bundle, policy, applied, inventory, failed });
    for (const key of state.drifted.keys()) if (!applied.has(key)) state.drifted.delete(key);
    state.resources.clear();
    state.versions.clear();
    for (const [key, live] of liveByKey) {
      state.resources.set(key, { ref: applied.get(key)!.ref, health: assessHealth(live) });
      if (live.metadata.resourceVersion) state.versions.set(key, live.metadata.resourceVersion);
    }
    this.apps.set(application, state);
    const resources = [
      ...[...applied.values()].map((a) => ({
        ref: a.ref,
        health: assessHealth(liveByKey.get(refKey(a.ref))),
      })),
      ...failed,
    ];
    // A key no longer in the bundle stops counting (its last word stays in the history).
    const current = new Set(resources.map((r) => refKey(r.ref)));
    for (const key of [...state.health.keys()]) if (!current.has(key)) state.health.delete(key);
    this.reportHealth(application, state, resources, log);
    if (this.watching) this.refreshWatches(application);
    return this.finish(application, bundle.digest, results, resources, log);
  }

  /**
   * The agent's half of the object policy (defence in depth: the hub checked the same rule
   * when it rendered). First on the bundle alone, before any call to the API server; then
   * with the cluster's own word on each kind's scope (discovery, read-only), so a custom
   * kind the cluster serves cluster-scoped is judged so even when its object names a namespace.
   */
  private async refusedByPolicy(
    candidates: ReadonlyArray<{ ref: ResourceRef; body: KubeObject }>,
    rules: NonNullable<SyncPolicy['objects']>,
  ): Promise<ResourceResult[]> {
    const objects = candidates.map((c) => c.body);
    const context = { targetNamespace: rules.targetNamespace };
    let violations: ObjectPolicyViolation[] = checkObjectPolicy(objects, rules.policy, context);
    if (violations.length === 0) {
      const scopes = new Map<string, ObjectScope | undefined>();
      for (const { ref } of candidates) {
        const key = `${ref.apiVersion}|${ref.kind}`;
        if (scopes.has(key)) continue;
        const resource = await this.api.discover(ref.apiVersion, ref.kind);
        scopes.set(key, resource === undefined ? undefined : resource.namespaced ? 'Namespaced' : 'Cluster');
      }
      violations = checkObjectPolicy(objects, rules.policy, {
        ...context,
        scopeOf: (ref) => scopes.get(`${ref.apiVersion}|${ref.kind}`),
      });
    }
    return violations.map((v) => ({
      ref: candidates[v.index]!.ref,
      action: 'failed' as const,
      reason: 'OutsidePolicy',
      message: v.reason,
    }));
  }

  private finish(
    application: string,
    bundle: string,
    results: ResourceResult[],
    resources: ResourceStatus[],
    log: EventLog,
    message?: string,
  ): SyncResult {
    const failed = results.filter((r) => r.action === 'failed');
    const ok = failed.length === 0;
    if (ok) log.emit({ type: 'SyncSucceeded', application, bundleDigest: bundle, at: this.at(), resources: results });
    else
      log.emit({
        type: 'SyncFailed',
        application,
        bundleDigest: bundle,
        at: this.at(),
        resources: results,
        message:
          message ??
          `${failed.length} of ${results.length} resources failed: ${failed
            .slice(0, 3)
            .map((f) => `${formatRef(f.ref)}: ${f.reason ? `${f.reason}: ` : ''}${f.message ?? 'failed'}`)
            .join('; ')}${failed.length > 3 ? `; and ${failed.length - 3} more` : ''}`,
      });
    return {
      application,
      bundle,
      ok,
      results,
      health: worstHealth(resources.map((r) => r.health)),
      resources,
      events: log.events,
    };
  }

  private async resolve(ref: ResourceRef, crdKinds: ReadonlySet<string>): Promise<V1APIResource | undefined> {
    const resource = await this.api.discover(ref.apiVersion, ref.kind);
    if (resource || !crdKinds.has(`${groupOf(ref.apiVersion)}/${ref.kind}`)) return resource;
    // The bundle's own CRD is Established, but discovery can lag behind it by a moment.
    const deadline = Date.now() + this.durations.crdEstablishedTimeoutMs;
    while (Date.now() < deadline) {
      await sleep(this.durations.crdEstablishedPollMs, undefined, { ref: false });
      const found = await this.api.discover(ref.apiVersion, ref.kind);
      if (found) return found;
    }
    return undefined;
  }

  private async applyOne(
    body: KubeObject,
    policy: SyncPolicy,
    crdKinds: ReadonlySet<string>,
    owner: { application: string; ownedUids: ReadonlySet<string> },
  ): Promise<{ result: ResourceResult; applied?: AppliedObject; live?: KubeObject; existed?: boolean }> {
    let ref = refOf(body);
    // Whether the object was there before we applied: known only once it has been read.
    let existed: boolean | undefined;
    try {
      const resource = await this.resolve(ref, crdKinds);
      if (!resource) {
        return {
          result: {
            ref,
            action: 'failed',
            reason: 'NotFound',
            message: `the server does not serve ${groupKindOf(ref)} in ${ref.apiVersion}`,
          },
        };
      }
      if (resource.namespaced && !ref.namespace) {
        return {
          result: {
            ref,
            action: 'failed',
            reason: 'NamespaceRequired',
            message: `${formatRef(ref)} is namespaced but has no namespace`,
          },
        };
      }
      if (!resource.namespaced && ref.namespace) {
        // A namespace on a cluster-scoped object means nothing; drop it so refs stay canonical.
        body = { ...body, metadata: { ...body.metadata } };
        delete body.metadata.namespace;
        ref = refOf(body);
      }
      if (resource.namespaced && ref.namespace && !namespaceAllowed(this.options.scope, ref.namespace)) {
        return {
          result: {
            ref,
            action: 'failed',
            reason: 'NotAllowed',
            message: `namespace ${ref.namespace} is outside the agent's allowlist`,
          },
        };
      }
      const path = this.api.objectPath(ref, resource);
      const target: AppliedObject = { ref, body, path, resource };
      const live = await this.api.get(path);
      existed = live !== undefined;
      if (live) {
        const conflict = ownershipConflict(live, body, owner, policy);
        if (conflict) return { result: { ref, action: 'failed', reason: 'NotOwned', message: conflict }, existed };
        const predicted = await this.applyBody(target, true);
        if (computeDrift(ref, predicted, live, policy.ignoredFields).length === 0) {
          return { result: { ref, action: 'unchanged' }, applied: target, live };
        }
      }
      const after = await this.applyBody(target, false);
      return { result: { ref, action: live ? 'configured' : 'created' }, applied: target, live: after };
    } catch (err) {
      const { reason, message, code } = describeApiError(err);
      // A 404 on the read or the apply (its namespace is gone, say) means it is not there.
      if (code === 404) existed = false;
      return { result: { ref, action: 'failed', reason, message: redactMessage(ref, message) }, existed };
    }
  }

  /**
   * createNamespace: the application's target namespace, made when missing with our marks
   * (so a Namespace the application later lists in git is already its own), and never put in
   * the inventory: deleting the application never deletes a namespace it did not declare.
   * A namespace that exists is left as it is, whoever made it.
   */
  private async ensureNamespace(application: string, name: string): Promise<ResourceResult | undefined> {
    const ref: ResourceRef = { apiVersion: 'v1', kind: 'Namespace', name };
    if (!namespaceAllowed(this.options.scope, name)) {
      return {
        ref,
        action: 'failed',
        reason: 'NotAllowed',
        message: `namespace ${name} is outside the agent's allowlist`,
      };
    }
    try {
      const resource = await this.api.discover('v1', 'Namespace');
      if (!resource) return undefined;
      const path = this.api.objectPath(ref, resource);
      if (await this.api.get(path)) return undefined;
      const body: KubeObject = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [APPLICATION_LABEL]: application } },
      };
      await this.api.apply(path, body, { fieldManager: this.fieldManager, force: false, dryRun: false });
      return {
        ref,
        action: 'created',
        reason: 'CreateNamespace',
        message: `namespace ${name} created (createNamespace)`,
      };
    } catch (err) {
      const { reason, message } = describeApiError(err);
      return { ref, action: 'failed', reason, message: `createNamespace: ${message}` };
    }
  }

  /**
   * force=true: a field git declares belongs to git. Without force, a field another manager
   * changed (kubectl edit, a controller, an HPA) makes the apply fail with a 409 conflict,
   * and the cluster stays out of sync until a human intervenes: the opposite of GitOps.
   * Argo CD and Flux force for the same reason. Fields we do not declare are untouched, so
   * other managers keep what is theirs; a field that should belong to someone else is
   * taken out of the manifest or listed in ignoredFields.
   */
  private applyBody(target: AppliedObject, dryRun: boolean): Promise<KubeObject> {
    return this.api.apply(target.path, target.body, { fieldManager: this.fieldManager, force: true, dryRun });
  }

  private async awaitEstablished(
    outcome: { result: ResourceResult; applied?: AppliedObject; live?: KubeObject },
    liveByKey: Map<string, KubeObject>,
  ): Promise<void> {
    const a = outcome.applied!;
    const deadline = Date.now() + this.durations.crdEstablishedTimeoutMs;
    for (;;) {
      const live = await this.api.get(a.path);
      if (live) liveByKey.set(refKey(a.ref), live);
      if (live && assessHealth(live).status === 'healthy') return;
      if (Date.now() > deadline) {
        const err = new CrdNotEstablishedError(
          `${formatRef(a.ref)} not Established after ${this.durations.crdEstablishedTimeoutMs} ms`,
        );
        outcome.result.action = 'failed';
        outcome.result.reason = 'NotEstablished';
        outcome.result.message = err.message;
        return;
      }
      await sleep(this.durations.crdEstablishedPollMs, undefined, { ref: false });
    }
  }

  /**
   * Deletes exactly what the inventory says we own, in reverse apply order. Each object is
   * re-read first: it must still carry this application's label and the recorded uid (the
   * delete itself is conditional on that uid), so an object someone else created under the
   * same name survives.
   */
  private async prune(
    application: string,
    entries: InventoryEntry[],
    pendingBundle: string | undefined,
  ): Promise<{ results: ResourceResult[]; kept: InventoryEntry[] }> {
    const results: ResourceResult[] = [];
    const kept: InventoryEntry[] = [];
    for (const entry of sortForDelete(entries)) {
      const ref: ResourceRef = { apiVersion: entry.apiVersion, kind: entry.kind, name: entry.name };
      if (entry.namespace) ref.namespace = entry.namespace;
      try {
        const resource = await this.api.discover(ref.apiVersion, ref.kind);
        if (!resource) continue; // its CRD is gone, and with it every object of the kind
        const path = this.api.objectPath(ref, resource);
        const live = await this.api.get(path);
        if (!live) continue;
        const owned =
          live.metadata.labels?.[APPLICATION_LABEL] === application &&
          (entry.uid
            ? live.metadata.uid === entry.uid
            : pendingBundle !== undefined && live.metadata.annotations?.[BUNDLE_ANNOTATION] === pendingBundle);
        if (!owned || !live.metadata.uid) {
          results.push({
            ref,
            action: 'unchanged',
            reason: 'NotOwned',
            message: `${formatRef(ref)} is not the object this application created; left in place`,
          });
          continue;
        }
        await this.api.deleteIfUid(path, live.metadata.uid, 'Background');
        results.push({ ref, action: 'pruned' });
      } catch (err) {
        const { reason, message, code } = describeApiError(err);
        if (code === 404) continue;
        if (code === 409) {
          results.push({
            ref,
            action: 'unchanged',
            reason: 'NotOwned',
            message: `${formatRef(ref)} was replaced before it could be pruned; left in place`,
          });
          continue;
        }
        kept.push(entry);
        results.push({ ref, action: 'failed', reason, message: redactMessage(ref, message) });
      }
    }
    return { results, kept };
  }

  private async doRemove(application: string, log: EventLog, digest: string, started = false): Promise<SyncResult> {
    if (!started) log.emit({ type: 'SyncStarted', application, bundleDigest: digest, at: this.at() });
    const inventory = await this.inventories.load(application);
    const { results, kept } = inventory
      ? await this.prune(application, inventory.entries, inventory.pendingBundle)
      : { results: [], kept: [] };
    if (kept.length === 0) {
      await this.inventories.delete(application);
      this.forgetApp(application);
    } else {
      await this.inventories.save({ application, bundle: inventory?.bundle, entries: kept });
    }
    return this.finish(application, digest, results, [], log);
  }

  private forgetApp(application: string): void {
    this.apps.delete(application);
    for (const key of [...this.watches.keys()]) if (key.startsWith(`${application}|`)) this.stopWatch(key);
  }

  private reportHealth(application: string, state: AppState, resources: ResourceStatus[], log: EventLog): void {
    for (const r of resources) {
      const key = refKey(r.ref);
      const previous = state.health.get(key);
      if (!sameHealth(previous, r.health)) {
        state.health.set(key, r.health);
        log.emit({
          type: 'HealthChanged',
          application,
          resource: r.ref,
          status: r.health.status,
          previous: previous?.status,
          message: r.health.message,
          at: this.at(),
        });
      }
    }
    const app = worstHealth(resources.map((r) => r.health));
    // A changed message is reported too: a reader must not see a reason that stopped being true.
    if (!sameHealth(state.appHealth, app)) {
      const previous = state.appHealth;
      state.appHealth = app;
      log.emit({
        type: 'HealthChanged',
        application,
        status: app.status,
        previous: previous?.status,
        message: app.message,
        at: this.at(),
      });
    }
  }

  /** `only`: the objects to compare (those watch events named); every object otherwise. */
  private async doCheckDrift(application: string, only?: ReadonlySet<string>): Promise<DriftCheckResult> {
    const log = new EventLog(this.options.onEvent);
    const state = this.apps.get(application);
    if (!state) return { application, events: [] };
    if (only) this.stats.objectChecks += only.size;
    else {
      this.stats.fullChecks++;
      state.lastFullCheckAt = Date.now();
    }
    let inventoryChanged = false;
    let interrupted = false;
    for (const [key, target] of this.orderedApplied(state)) {
      if (only && !only.has(key)) continue;
      if (this.syncsWaiting.has(application)) {
        interrupted = true;
        break;
      }
      const { ref } = target;
      try {
        let live = await this.api.get(target.path);
        let reason: 'missing' | 'modified' = 'modified';
        let fields: DriftField[] = [];
        if (!live) reason = 'missing';
        else fields = computeDrift(ref, await this.applyBody(target, true), live, state.policy.ignoredFields);
        const drifted = reason === 'missing' || fields.length > 0;
        if (drifted) {
          const signature = JSON.stringify({ reason, fields });
          if (state.policy.driftMode === 'correct') {
            log.emit({ type: 'DriftDetected', application, resource: ref, reason, fields, at: this.at() });
            live = await this.applyBody(target, false);
            log.emit({ type: 'DriftCorrected', application, resource: ref, reason, fields, at: this.at() });
            state.drifted.delete(key);
            const entry = state.inventory.entries.find((e) => refKey(e) === key);
            if (entry && entry.uid !== live.metadata.uid) {
              entry.uid = live.metadata.uid;
              inventoryChanged = true;
            }
          } else if (state.drifted.get(key) !== signature) {
            state.drifted.set(key, signature);
            log.emit({ type: 'DriftDetected', application, resource: ref, reason, fields, at: this.at() });
          }
        } else if (state.drifted.has(key)) {
          state.drifted.delete(key);
          log.emit({ type: 'DriftResolved', application, resource: ref, at: this.at() });
        }
        if (live?.metadata.resourceVersion) state.versions.set(key, live.metadata.resourceVersion);
        else state.versions.delete(key);
        state.resources.set(key, { ref, health: assessHealth(live) });
      } catch (err) {
        // One unreadable object must not hide drift in the others; it is retried next check.
        const { message } = describeApiError(err);
        state.resources.set(key, {
          ref,
          health: { status: 'degraded', message: redactMessage(ref, `drift check failed: ${message}`) },
        });
      }
    }
    if (inventoryChanged) await this.inventories.save(state.inventory);
    if (interrupted) {
      this.stats.interruptedChecks++;
      return { application, events: log.events, interrupted };
    }
    // What the last sync could not apply stays unhealthy until a sync applies it.
    const resources = [...[...state.applied.keys()].flatMap((key) => state.resources.get(key) ?? []), ...state.failed];
    this.reportHealth(application, state, resources, log);
    return { application, events: log.events };
  }

  private orderedApplied(state: AppState): [string, AppliedObject][] {
    const byKey = new Map([...state.applied.values()].map((a) => [a.body, a] as const));
    return sortForApply([...byKey.keys()]).map((body) => {
      const a = byKey.get(body)!;
      return [refKey(a.ref), a];
    });
  }

  /** Coalesces what is to be checked of an application: some objects (watch events) or all (the period). */
  private scheduleCheck(
    application: string,
    delayMs: number,
    objects: Iterable<[key: string, version: string | undefined]> | 'all',
  ): void {
    const pending = this.pendingChecks.get(application);
    if (objects === 'all' || pending === 'all') this.pendingChecks.set(application, 'all');
    else this.pendingChecks.set(application, new Map([...(pending ?? []), ...objects]));
    if (this.debounce.has(application)) return;
    const timer = setTimeout(() => {
      this.debounce.delete(application);
      // Errors are per object inside the check; what reaches here (inventory write) is retried next period.
      this.serial(application, () => {
        const what = this.pendingChecks.get(application);
        this.pendingChecks.delete(application);
        const state = this.apps.get(application);
        if (!what || !state) return Promise.resolve(undefined);
        if (what === 'all') return this.doCheckDrift(application);
        // Decided under the lock: a sync that ran meanwhile wrote these versions itself.
        const only = new Set([...what].filter(([key, v]) => !v || state.versions.get(key) !== v).map(([key]) => key));
        return only.size > 0 ? this.doCheckDrift(application, only) : Promise.resolve(undefined);
      }).catch(() => undefined);
    }, delayMs);
    timer.unref?.();
    this.debounce.set(application, timer);
  }

  /** Watch events and lists name objects; only those whose version is not one we wrote or read are checked. */
  private onWatched(application: string, objects: KubeObject[]): void {
    const state = this.apps.get(application);
    if (!state) return;
    const changed: [string, string | undefined][] = [];
    for (const obj of objects) {
      if (!obj?.metadata?.name) continue;
      // refKey is by group, kind, namespace and name: the watched version does not matter.
      const key = refKey(refOf(obj));
      if (!state.applied.has(key)) continue;
      if (obj.metadata.resourceVersion && state.versions.get(key) === obj.metadata.resourceVersion) continue;
      changed.push([key, obj.metadata.resourceVersion]);
    }
    if (changed.length > 0) this.scheduleCheck(application, this.durations.driftDebounceMs, changed);
  }

  /** One watch per application, kind and namespace it uses, selected by the application label. */
  private refreshWatches(application: string): void {
    const state = this.apps.get(application);
    if (!state) return;
    const wanted = new Map<string, string>();
    for (const a of state.applied.values()) {
      const collection = this.api.collectionPath(a.ref.apiVersion, a.resource, a.ref.namespace);
      wanted.set(`${application}|${collection}`, collection);
    }
    for (const key of [...this.watches.keys()]) {
      if (key.startsWith(`${application}|`) && !wanted.has(key)) this.stopWatch(key);
    }
    for (const [key, collection] of wanted) {
      if (!this.watches.has(key)) this.startWatch(key, application, collection);
    }
  }

  private startWatch(key: string, application: string, collection: string): void {
    const watch = new CollectionWatch(
      {
        kubeConfig: this.kubeConfig,
        api: this.api,
        collection,
        labelSelector: `${APPLICATION_LABEL}=${application}`,
        onObjects: (objects, listed) => {
          // A list names every object, including those deleted since (by their absence).
          if (listed) this.onListed(application, collection, objects);
          else this.onWatched(application, objects);
        },
        restartMinMs: this.durations.watchRestartMinMs,
        restartMaxMs: this.durations.watchRestartMaxMs,
        timeoutMs: this.durations.watchTimeoutMs,
      },
      this.stats,
    );
    this.watches.set(key, watch);
    watch.start();
  }

  /** After a (re-)list: check the listed objects that changed and the applied ones that are gone. */
  private onListed(application: string, collection: string, objects: KubeObject[]): void {
    const state = this.apps.get(application);
    if (!state) return;
    const listed = new Set(objects.map((o) => `${o.metadata?.namespace ?? ''}|${o.metadata?.name}`));
    const missing: [string, undefined][] = [];
    for (const [key, a] of state.applied) {
      const inCollection = this.api.collectionPath(a.ref.apiVersion, a.resource, a.ref.namespace) === collection;
      if (inCollection && !listed.has(`${a.resource.namespaced ? (a.ref.namespace ?? '') : ''}|${a.ref.name}`))
        missing.push([key, undefined]);
    }
    if (missing.length > 0) this.scheduleCheck(application, this.durations.driftDebounceMs, missing);
    // Items of a list carry no apiVersion/kind; the collection names them.
    const sample = [...state.applied.values()].find(
      (a) => this.api.collectionPath(a.ref.apiVersion, a.resource, a.ref.namespace) === collection,
    );
    if (sample)
      this.onWatched(
        application,
        objects.map((o) => ({ ...o, apiVersion: sample.ref.apiVersion, kind: sample.ref.kind })),
      );
  }

  private stopWatch(key: string): void {
    const watch = this.watches.get(key);
    this.watches.delete(key);
    watch?.stop();
  }
}

function assertApplicationName(application: string): void {
  if (!isValidApplicationName(application)) {
    throw new InvalidApplicationNameError(
      `application name ${JSON.stringify(application)} must be a DNS label of at most 43 characters (it names the inventory ConfigMap)`,
    );
  }
}

/**
 * Why the live object must not be written, or undefined when it may. Ours: it carries this
 * application's label, or its uid is in the application's inventory. Anything else (made by
 * hand, by another tool, or left by another application) is adopted only when the policy or
 * the object in git says so; Helm refuses the same way (its release-name annotation) and
 * Fleet does unless `takeOwnership` is set.
 */
function ownershipConflict(
  live: KubeObject,
  desired: KubeObject,
  owner: { application: string; ownedUids: ReadonlySet<string> },
  policy: SyncPolicy,
): string | undefined {
  const label = live.metadata.labels?.[APPLICATION_LABEL];
  if (label === owner.application) return undefined;
  if (live.metadata.uid && owner.ownedUids.has(live.metadata.uid)) return undefined;
  if (policy.adopt || desired.metadata.annotations?.[ADOPT_ANNOTATION] === 'true') return undefined;
  const whose = label ? `belongs to application ${label}` : 'was not created by Flotilla';
  return (
    `${formatRef(refOf(desired))} exists and ${whose}; left alone. To take it over, set syncPolicy.adopt: true ` +
    `on application ${owner.application} or annotate the object in git with ${ADOPT_ANNOTATION}: "true"`
  );
}

function validateObject(obj: unknown): string | undefined {
  const o = obj as Partial<KubeObject> | null;
  if (!o || typeof o !== 'object') return 'not an object';
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) return 'apiVersion is missing';
  if (typeof o.kind !== 'string' || !o.kind) return 'kind is missing';
  if (!o.metadata || typeof o.metadata.name !== 'string' || !o.metadata.name) return 'metadata.name is missing';
  return undefined;
}

function safeRef(obj: unknown): ResourceRef {
  const o = (obj ?? {}) as Partial<KubeObject>;
  return { apiVersion: String(o.apiVersion ?? ''), kind: String(o.kind ?? ''), name: String(o.metadata?.name ?? '') };
}

/** The object as we apply it: our marks added, server-owned bookkeeping removed. */
export function stamp(obj: KubeObject, application: string, digest: string): KubeObject {
  const body = structuredClone(obj);
  const {
    resourceVersion: _rv,
    uid: _uid,
    creationTimestamp: _ct,
    managedFields: _mf,
    generation: _g,
    selfLink: _sl,
    ...metadata
  } = body.metadata;
  body.metadata = {
    ...metadata,
    name: obj.metadata.name,
    labels: { ...obj.metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [APPLICATION_LABEL]: application },
    annotations: { ...obj.metadata.annotations, [BUNDLE_ANNOTATION]: digest },
  };
  delete body.status;
  fillListMapKeys(body);
  return body;
}
