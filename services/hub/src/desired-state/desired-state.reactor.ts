import type { EntityManager } from 'typeorm';
import {
  DuplicateEventIdError,
  WrongExpectedVersionError,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type Projection,
  type RecordedEvent,
} from '@flotilla/event-store';
import {
  applicationStreamId,
  assignedApplication,
  clusterStreamId,
  commitAccepted,
  desiredPin,
  nextDesiredState,
  referencesGroup,
  targetedClusters,
  targetOf,
  touchesPath,
  type ApplicationChange,
  type AssignedApplication,
  type ClusterGroupSelector,
  type DesiredStateAssigned,
  type LabelSelector,
  type Labels,
  type RenderFailed,
  type RenderFailure,
  type RevisionRendered,
  type TargetableCluster,
} from '@flotilla/domain';
import type { ApplicationRenderer, RendererInfo } from '@flotilla/render';
import { canonicalJson, type ApplicationSpec, type ApplicationTarget, type Bundle } from '@flotilla/manifests';
import { encodeDesiredStatePayload } from './desired-state.codec';
import { deterministicEventId } from './deterministic-id';
import { assignmentAppendAttempts, sourceReadLimitFactor, sourceUnavailableAttempts } from './durations';
import { SourceUnavailableError, type SourceFiles, type SourceFilesReader, type SourceRef } from './source-files';

export const desiredStateReactorName = 'hub-desired-state-reactor';

/** What the reactor reads from the log; everything else passes by. */
export const desiredStateReactorHandles = [
  'SourceAdded',
  'SourceRemoved',
  'CommitObserved',
  'SourceHistoryRewritten',
  'ApplicationCreated',
  'ApplicationChanged',
  'ApplicationDeleted',
  'ApplicationPinned',
  'ApplicationUnpinned',
  'ApplicationSyncRequested',
  'ClusterRegistered',
  'ClusterLabelsChanged',
  'ClusterDeregistered',
  'ClusterGroupCreated',
  'ClusterGroupDeleted',
] as const;

interface ApplicationRow {
  name: string;
  spec: ApplicationSpec;
  pinnedCommit: string | null;
  /** The last commit every targeted cluster rendered: what clusters joining later get. */
  goodCommit: string | null;
  /** The last commit that failed to render for some targeted cluster (so it is not retried for each relabel). */
  failedCommit: string | null;
}

interface SourceRow extends SourceRef {
  latestCommit: string | null;
}

interface DesiredRow {
  revision: number;
  applications: AssignedApplication[];
}

interface PairRender {
  clusterId: string;
  commit: string;
  ok: boolean;
  bundle?: Bundle;
  errors?: RenderFailure[];
  assignment?: AssignedApplication;
  renderer?: RendererInfo;
}

/** The work one log event causes, gathered before anything is appended. */
class Reaction {
  readonly changes = new Map<string, ApplicationChange[]>();
  readonly forced = new Set<string>();
  readonly renderEvents = new Map<string, NewEvent[]>();
  readonly bundles = new Map<string, Bundle>();

  change(clusterId: string, change: ApplicationChange): void {
    const list = this.changes.get(clusterId) ?? [];
    list.push(change);
    this.changes.set(clusterId, list);
  }

  record(application: string, event: NewEvent): void {
    const list = this.renderEvents.get(application) ?? [];
    list.push(event);
    this.renderEvents.set(application, list);
  }
}

export interface DesiredStateReactorLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * From a commit (or an application, label or group change) to each cluster's next desired
 * state. Runs as a projection over the log, in global order, with its checkpoint and its
 * view of the world (tables `desired_reactor_*`, `desired_states`, `bundles`) written in the
 * same transaction; several hub replicas take turns on the locked checkpoint row.
 *
 * Its appends (RevisionRendered, RenderFailed, DesiredStateAssigned) go to the log on their
 * own connection, before the batch commits, with ids derived from (reactor, causing
 * position, ...): a batch retried after a crash recomputes the same events, the log refuses
 * them as duplicates, and the retry carries on to commit its tables.
 */
export class DesiredStateReactor implements Projection {
  readonly name = desiredStateReactorName;
  readonly handles = desiredStateReactorHandles;
  /** Clusters whose desired state changed since the last `takeTouched`; published after commit. */
  private touched = new Set<string>();
  /** Failed fetches per (source, commit) on this replica: retried, then recorded as a failed render. */
  private readonly unavailable = new Map<string, number>();

  constructor(
    private readonly store: EventStore,
    private readonly sourceFiles: Pick<SourceFilesReader, 'read'>,
    private readonly limits: { maxBundleBytes: number },
    private readonly logger: DesiredStateReactorLogger,
    private readonly renderer: Pick<ApplicationRenderer, 'render'>,
  ) {}

  takeTouched(): string[] {
    const touched = [...this.touched];
    this.touched = new Set();
    return touched;
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const event of events) await this.react(event, tx);
  }

  async reset(): Promise<void> {
    // A rebuild would re-render history and re-assign revisions: the reactor's effects are in the log already.
    throw new Error(`${this.name} is not rebuilt from the log: it appends events; move its checkpoint instead`);
  }

  private async react(event: RecordedEvent, tx: EntityManager): Promise<void> {
    const reaction = new Reaction();
    const d = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'SourceAdded': {
        await tx.query(`DELETE FROM desired_reactor_sources WHERE name = $1`, [d.name]);
        await tx.query(
          `INSERT INTO desired_reactor_sources (name, url, branch, credentials_ref, latest_commit) VALUES ($1, $2, $3, $4, NULL)`,
          [d.name, d.url, d.branch, (d.credentialsRef as string | undefined) ?? null],
        );
        return;
      }
      case 'SourceRemoved':
        await tx.query(`DELETE FROM desired_reactor_sources WHERE name = $1`, [d.name]);
        return;
      case 'CommitObserved':
      case 'SourceHistoryRewritten': {
        const source = d.source as string;
        const sha = (event.type === 'CommitObserved' ? d.sha : d.newSha) as string;
        await tx.query(`UPDATE desired_reactor_sources SET latest_commit = $2 WHERE name = $1`, [source, sha]);
        for (const app of await this.applications(tx)) {
          if (app.spec.source !== source || desiredPin(app) !== null) continue;
          // A rewrite may have moved the branch back: every application on it re-renders.
          const touched =
            event.type === 'SourceHistoryRewritten' ||
            app.goodCommit === null ||
            touchesPath(app.spec.path, d.changedPaths as string[], d.changedPathsTruncated as boolean);
          if (touched) await this.renderAll(app, sha, event, tx, reaction);
        }
        break;
      }
      case 'ApplicationCreated':
      case 'ApplicationChanged': {
        const name = d.name as string;
        const spec = d.spec as ApplicationSpec;
        const existing = await this.application(tx, name);
        await tx.query(
          `INSERT INTO desired_reactor_applications (name, spec, pinned_commit, good_commit, failed_commit)
           VALUES ($1, $2, NULL, NULL, NULL)
           ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, failed_commit = NULL`,
          [name, JSON.stringify(spec)],
        );
        const app: ApplicationRow = {
          name,
          spec,
          pinnedCommit: event.type === 'ApplicationCreated' ? null : (existing?.pinnedCommit ?? null),
          goodCommit: event.type === 'ApplicationCreated' ? null : (existing?.goodCommit ?? null),
          failedCommit: null,
        };
        if (event.type === 'ApplicationCreated' && existing) {
          await tx.query(
            `UPDATE desired_reactor_applications SET pinned_commit = NULL, good_commit = NULL WHERE name = $1`,
            [name],
          );
        }
        await this.renderAll(app, await this.commitToFollow(app, tx), event, tx, reaction);
        break;
      }
      case 'ApplicationDeleted': {
        const name = d.name as string;
        await tx.query(`DELETE FROM desired_reactor_applications WHERE name = $1`, [name]);
        for (const clusterId of await this.clustersRunning(tx, name))
          reaction.change(clusterId, { name, assignment: null });
        break;
      }
      case 'ApplicationPinned':
      case 'ApplicationUnpinned': {
        const app = await this.application(tx, d.name as string);
        if (!app) return;
        app.pinnedCommit = event.type === 'ApplicationPinned' ? (d.commit as string) : null;
        await tx.query(`UPDATE desired_reactor_applications SET pinned_commit = $2 WHERE name = $1`, [
          app.name,
          app.pinnedCommit,
        ]);
        await this.renderAll(app, await this.commitToFollow(app, tx), event, tx, reaction);
        break;
      }
      case 'ApplicationSyncRequested': {
        const app = await this.application(tx, d.name as string);
        if (!app) return;
        const clusters = await this.clusters(tx);
        const only = d.clusterId as string | undefined;
        const ids = clusters.map((c) => c.clusterId).filter((id) => only === undefined || id === only);
        await this.renderPairs(app, ids, event, tx, reaction);
        // Apply now: a new revision even when nothing changed, so the agent reconciles at once.
        const groups = await this.groups(tx);
        for (const cluster of clusters) {
          if (ids.includes(cluster.clusterId) && targetOf(app.spec, cluster, groups))
            reaction.forced.add(cluster.clusterId);
        }
        break;
      }
      case 'ClusterRegistered':
      case 'ClusterLabelsChanged': {
        const clusterId = d.clusterId as string;
        if (event.type === 'ClusterRegistered') {
          await tx.query(
            `INSERT INTO desired_reactor_clusters (cluster_id, name, labels) VALUES ($1, $2, $3)
             ON CONFLICT (cluster_id) DO UPDATE SET name = EXCLUDED.name, labels = EXCLUDED.labels`,
            [clusterId, d.name, JSON.stringify(d.labels ?? {})],
          );
        } else {
          const updated = await tx.query(
            `UPDATE desired_reactor_clusters SET labels = $2 WHERE cluster_id = $1 RETURNING cluster_id`,
            [clusterId, JSON.stringify(d.labels ?? {})],
          );
          if (updated.length === 0) return;
        }
        for (const app of await this.applications(tx)) await this.renderPairs(app, [clusterId], event, tx, reaction);
        break;
      }
      case 'ClusterDeregistered':
        // Its agent is revoked at the NATS server: nothing is assigned to it any more.
        await tx.query(`DELETE FROM desired_reactor_clusters WHERE cluster_id = $1`, [d.clusterId]);
        return;
      case 'ClusterGroupCreated':
      case 'ClusterGroupDeleted': {
        const name = d.name as string;
        await tx.query(`DELETE FROM desired_reactor_groups WHERE name = $1`, [name]);
        if (event.type === 'ClusterGroupCreated') {
          await tx.query(`INSERT INTO desired_reactor_groups (name, selector) VALUES ($1, $2)`, [
            name,
            JSON.stringify(d.selector ?? {}),
          ]);
        }
        const ids = (await this.clusters(tx)).map((c) => c.clusterId);
        for (const app of await this.applications(tx)) {
          if (referencesGroup(app.spec, name)) await this.renderPairs(app, ids, event, tx, reaction);
        }
        break;
      }
      default:
        return;
    }
    await this.commit(reaction, event, tx);
  }

  /** The commit an application follows: its pin, else its source's latest observed commit. */
  private async commitToFollow(app: ApplicationRow, tx: EntityManager): Promise<string | null> {
    const pin = desiredPin(app);
    if (pin !== null) return pin;
    return (await this.source(tx, app.spec.source))?.latestCommit ?? null;
  }

  /**
   * Renders the application for every cluster it targets at `commit`. All or nothing: if
   * any targeted cluster fails to render, no cluster moves to this commit (each keeps what
   * it had), so a bad commit never half-applies; clusters that had nothing get the last
   * good commit instead. Renders that succeeded for an unaccepted commit are not recorded:
   * no cluster runs them.
   */
  private async renderAll(
    app: ApplicationRow,
    commit: string | null,
    cause: RecordedEvent,
    tx: EntityManager,
    reaction: Reaction,
  ): Promise<void> {
    const clusters = await this.clusters(tx);
    const groups = await this.groups(tx);
    const targets = targetedClusters(app.spec, clusters, groups);
    const targetedIds = new Set(targets.map((t) => t.cluster.clusterId));
    for (const clusterId of await this.clustersRunning(tx, app.name)) {
      if (!targetedIds.has(clusterId)) reaction.change(clusterId, { name: app.name, assignment: null });
    }
    if (commit === null) return;
    if (app.failedCommit === commit && cause.type !== 'ApplicationSyncRequested') {
      // Already known bad for this spec: only clusters with nothing get the last good commit.
      await this.renderPairs(app, [...targetedIds], cause, tx, reaction, { onlyMissing: true });
      return;
    }
    const files = await this.filesFor(app, commit, tx);
    const results = await Promise.all(
      targets.map(({ cluster, target }) => this.renderPair(app, cluster, target, commit, files)),
    );
    if (commitAccepted(results)) {
      app.goodCommit = commit;
      app.failedCommit = null;
      await tx.query(`UPDATE desired_reactor_applications SET good_commit = $2, failed_commit = NULL WHERE name = $1`, [
        app.name,
        commit,
      ]);
      const current = await this.assignmentsOf(tx, app.name);
      for (const result of results) this.accept(app, result, current.get(result.clusterId), cause, reaction);
      return;
    }
    app.failedCommit = commit;
    await tx.query(`UPDATE desired_reactor_applications SET failed_commit = $2 WHERE name = $1`, [app.name, commit]);
    this.recordFailures(app, commit, results, cause, reaction);
    this.logger.warn(
      `application ${app.name}: commit ${commit} did not render for every targeted cluster; no cluster moves to it`,
    );
    await this.renderPairs(app, [...targetedIds], cause, tx, reaction, { onlyMissing: true, skipCommit: commit });
  }

  /**
   * Re-evaluates the application on some clusters (a relabel, a new cluster, a group
   * change): targeted ones render at the application's accepted commit, others drop it. An
   * application never accepted yet renders everywhere instead (its first render).
   */
  private async renderPairs(
    app: ApplicationRow,
    clusterIds: readonly string[],
    cause: RecordedEvent,
    tx: EntityManager,
    reaction: Reaction,
    options: { onlyMissing?: boolean; skipCommit?: string } = {},
  ): Promise<void> {
    if (app.goodCommit === null && !options.skipCommit) {
      const commit = await this.commitToFollow(app, tx);
      if (commit !== null && commit !== app.failedCommit) return this.renderAll(app, commit, cause, tx, reaction);
    }
    const commit = app.goodCommit;
    const clusters = new Map((await this.clusters(tx)).map((c) => [c.clusterId, c]));
    const groups = await this.groups(tx);
    const current = await this.assignmentsOf(tx, app.name);
    let files: SourceFiles | undefined;
    for (const clusterId of clusterIds) {
      const cluster = clusters.get(clusterId);
      if (!cluster) continue;
      const found = targetOf(app.spec, cluster, groups);
      if (!found) {
        if (current.has(clusterId)) reaction.change(clusterId, { name: app.name, assignment: null });
        continue;
      }
      if (options.onlyMissing && current.has(clusterId)) continue;
      if (commit === null || commit === options.skipCommit) continue;
      files ??= await this.filesFor(app, commit, tx);
      const result = await this.renderPair(app, cluster, found.target, commit, files);
      if (result.ok) this.accept(app, result, current.get(clusterId), cause, reaction);
      // A cluster that cannot render the accepted commit keeps what it runs.
      else this.recordFailures(app, commit, [result], cause, reaction);
    }
  }

  private async renderPair(
    app: ApplicationRow,
    cluster: TargetableCluster,
    target: ApplicationTarget,
    commit: string,
    files: SourceFiles,
  ): Promise<PairRender> {
    const base = { clusterId: cluster.clusterId, commit };
    if (!files.ok) {
      return {
        ...base,
        ok: false,
        errors: [{ file: null, documentIndex: null, code: files.code, reason: files.reason }],
      };
    }
    const result = await this.renderer.render({
      application: { name: app.name, spec: app.spec },
      files: files.files,
      loadDirectory: files.loadDirectory,
      target,
      cluster: { name: cluster.name, labels: cluster.labels },
      limits: { maxBundleBytes: this.limits.maxBundleBytes },
    });
    if (!result.ok) {
      return {
        ...base,
        renderer: result.renderer,
        ok: false,
        errors: result.errors.map((e) => ({
          file: e.file,
          documentIndex: e.documentIndex,
          code: e.code,
          reason: e.reason,
        })),
      };
    }
    return {
      ...base,
      ok: true,
      renderer: result.renderer,
      bundle: result.bundle,
      assignment: assignedApplication({
        name: app.name,
        spec: app.spec,
        target,
        cluster,
        commit,
        bundleDigest: result.bundle.digest,
      }),
    };
  }

  /** Records a successful render that changes the cluster's assignment of this application. */
  private accept(
    app: ApplicationRow,
    result: PairRender,
    current: AssignedApplication | undefined,
    cause: RecordedEvent,
    reaction: Reaction,
  ): void {
    const assignment = result.assignment!;
    const bundle = result.bundle!;
    reaction.change(result.clusterId, { name: app.name, assignment });
    reaction.bundles.set(bundle.digest, bundle);
    if (current && current.commit === assignment.commit && current.bundleDigest === assignment.bundleDigest) return;
    const data: RevisionRendered['data'] = {
      application: app.name,
      source: app.spec.source,
      commit: result.commit,
      clusterId: result.clusterId,
      ...(result.renderer ? { renderer: result.renderer } : {}),
      bundleDigest: bundle.digest,
      objectCount: bundle.objects.length,
      sizeBytes: bundle.sizeBytes,
    };
    reaction.record(app.name, {
      type: 'RevisionRendered',
      data,
      id: deterministicEventId(
        `${this.name}/${cause.position}/rendered/${app.name}/${result.commit}/${result.clusterId}`,
      ),
    });
  }

  /** One RenderFailed per cluster, or one for all when every cluster failed the same way (a broken file). */
  private recordFailures(
    app: ApplicationRow,
    commit: string,
    results: readonly PairRender[],
    cause: RecordedEvent,
    reaction: Reaction,
  ): void {
    const failures = results.filter((r) => !r.ok);
    const distinct = new Set(failures.map((f) => JSON.stringify(f.errors)));
    const shared = failures.length > 1 && failures.length === results.length && distinct.size === 1;
    const entries: Array<{ clusterId?: string; errors: RenderFailure[] }> = shared
      ? [{ errors: failures[0]!.errors! }]
      : failures.map((f) => ({ clusterId: f.clusterId, errors: f.errors! }));
    for (const entry of entries) {
      const data: RenderFailed['data'] = {
        application: app.name,
        source: app.spec.source,
        commit,
        ...(entry.clusterId ? { clusterId: entry.clusterId } : {}),
        errors: entry.errors,
      };
      reaction.record(app.name, {
        type: 'RenderFailed',
        data,
        id: deterministicEventId(
          `${this.name}/${cause.position}/failed/${app.name}/${commit}/${entry.clusterId ?? '*'}`,
        ),
      });
    }
  }

  /** Appends what the event caused, stores bundles, assigns new revisions. */
  private async commit(reaction: Reaction, cause: RecordedEvent, tx: EntityManager): Promise<void> {
    const metadata: EventMetadata = {
      // The change is the causing event's: the user who pinned, the poller that saw the commit.
      actor: cause.metadata.actor,
      causationId: cause.id,
      correlationId: cause.metadata.correlationId ?? cause.id,
      ...(cause.metadata.traceparent ? { traceparent: cause.metadata.traceparent } : {}),
    };
    for (const bundle of reaction.bundles.values()) {
      const content = canonicalJson(bundle.objects);
      await tx.query(
        `INSERT INTO bundles (digest, content, size) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING`,
        [bundle.digest, content, bundle.sizeBytes],
      );
    }
    for (const [application, events] of reaction.renderEvents) {
      await this.appendOnce(applicationStreamId(application), events, 'any', metadata);
    }
    const clusterIds = new Set([...reaction.changes.keys(), ...reaction.forced]);
    const live = new Set((await this.clusters(tx)).map((c) => c.clusterId));
    for (const clusterId of [...clusterIds].sort()) {
      if (!live.has(clusterId)) continue;
      const current = await this.desired(tx, clusterId);
      const next = nextDesiredState(current?.applications ?? [], reaction.changes.get(clusterId) ?? []);
      if (!next.changed && !(reaction.forced.has(clusterId) && current)) continue;
      const revision = (current?.revision ?? 0) + 1;
      const event: DesiredStateAssigned = {
        type: 'DesiredStateAssigned',
        data: { clusterId, revision, applications: next.applications },
      };
      const id = deterministicEventId(`${this.name}/${cause.position}/assigned/${clusterId}`);
      await this.appendAssignment(clusterId, { ...event, id }, metadata);
      const payload = encodeDesiredStatePayload({ clusterId, revision, applications: next.applications });
      await tx.query(
        `INSERT INTO desired_states (cluster_id, revision, applications, payload, position, updated_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (cluster_id) DO UPDATE SET revision = EXCLUDED.revision, applications = EXCLUDED.applications,
           payload = EXCLUDED.payload, position = EXCLUDED.position, updated_at = now()`,
        [clusterId, revision, JSON.stringify(next.applications), Buffer.from(payload), cause.position],
      );
      for (const app of next.applications) {
        await tx.query(
          `INSERT INTO desired_state_bundles (cluster_id, digest) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
          [clusterId, app.bundleDigest],
        );
      }
      this.touched.add(clusterId);
      this.logger.log(
        `cluster ${clusterId}: desired state revision ${revision} (${next.applications.length} applications)`,
      );
    }
  }

  /** The cluster stream also takes status events: re-read its version and try again when one lands first. */
  private async appendAssignment(clusterId: string, event: NewEvent, metadata: EventMetadata): Promise<void> {
    const streamId = clusterStreamId(clusterId);
    for (let attempt = 1; ; attempt++) {
      const version = await this.store.streamVersion(streamId);
      try {
        await this.appendOnce(streamId, [event], version, metadata);
        return;
      } catch (err) {
        if (err instanceof WrongExpectedVersionError && attempt < assignmentAppendAttempts) continue;
        throw err;
      }
    }
  }

  private async appendOnce(
    streamId: string,
    events: NewEvent[],
    expectedVersion: number | 'any',
    metadata: EventMetadata,
  ): Promise<void> {
    try {
      await this.store.append(streamId, events, { expectedVersion, metadata });
    } catch (err) {
      // Landed before a crash rolled our tables back: the same ids, the same content.
      if (err instanceof DuplicateEventIdError) return;
      throw err;
    }
  }

  private async filesFor(app: ApplicationRow, commit: string, tx: EntityManager): Promise<SourceFiles> {
    const source = await this.source(tx, app.spec.source);
    if (!source) {
      return {
        ok: false,
        code: 'commit-unavailable',
        reason: `source ${app.spec.source} is not registered on the hub`,
      };
    }
    const key = `${source.name}@${commit}`;
    try {
      const maxBytes = this.limits.maxBundleBytes * sourceReadLimitFactor;
      const files = await this.sourceFiles.read(source, commit, app.spec.path, maxBytes);
      this.unavailable.delete(key);
      // Kustomize bases outside the application path, read from the same commit when a kustomization names them.
      const loadDirectory = async (dir: string) => {
        const more = await this.sourceFiles.read(source, commit, dir, maxBytes);
        return more.ok ? more.files : [];
      };
      return files.ok ? { ...files, loadDirectory } : files;
    } catch (err) {
      if (!(err instanceof SourceUnavailableError)) throw err;
      const attempts = (this.unavailable.get(key) ?? 0) + 1;
      this.unavailable.set(key, attempts);
      // Thrown: the batch rolls back and is retried from its checkpoint.
      if (attempts < sourceUnavailableAttempts) throw err;
      this.unavailable.delete(key);
      return { ok: false, code: 'source-unavailable', reason: `${err.message} (after ${attempts} attempts)` };
    }
  }

  private async applications(tx: EntityManager): Promise<ApplicationRow[]> {
    const rows = await tx.query(
      `SELECT name, spec, pinned_commit, good_commit, failed_commit FROM desired_reactor_applications ORDER BY name`,
    );
    return rows.map(toApplication);
  }

  private async application(tx: EntityManager, name: string): Promise<ApplicationRow | undefined> {
    const [row] = await tx.query(
      `SELECT name, spec, pinned_commit, good_commit, failed_commit FROM desired_reactor_applications WHERE name = $1`,
      [name],
    );
    return row ? toApplication(row) : undefined;
  }

  private async clusters(tx: EntityManager): Promise<TargetableCluster[]> {
    const rows: Array<{ cluster_id: string; name: string; labels: Labels }> = await tx.query(
      `SELECT cluster_id, name, labels FROM desired_reactor_clusters ORDER BY cluster_id`,
    );
    return rows.map((r) => ({ clusterId: r.cluster_id, name: r.name, labels: r.labels }));
  }

  private async groups(tx: EntityManager): Promise<ClusterGroupSelector[]> {
    const rows: Array<{ name: string; selector: LabelSelector }> = await tx.query(
      `SELECT name, selector FROM desired_reactor_groups ORDER BY name`,
    );
    return rows;
  }

  private async source(tx: EntityManager, name: string): Promise<SourceRow | undefined> {
    const [row] = await tx.query(
      `SELECT name, url, branch, credentials_ref, latest_commit FROM desired_reactor_sources WHERE name = $1`,
      [name],
    );
    return row
      ? {
          name: row.name,
          url: row.url,
          branch: row.branch,
          credentialsRef: row.credentials_ref,
          latestCommit: row.latest_commit,
        }
      : undefined;
  }

  private async desired(tx: EntityManager, clusterId: string): Promise<DesiredRow | undefined> {
    const [row] = await tx.query(`SELECT revision, applications FROM desired_states WHERE cluster_id = $1`, [
      clusterId,
    ]);
    return row ? { revision: Number(row.revision), applications: row.applications } : undefined;
  }

  /** Live clusters whose current desired state holds the application. */
  private async clustersRunning(tx: EntityManager, application: string): Promise<string[]> {
    return [...(await this.assignmentsOf(tx, application)).keys()];
  }

  private async assignmentsOf(tx: EntityManager, application: string): Promise<Map<string, AssignedApplication>> {
    const rows: Array<{ cluster_id: string; applications: AssignedApplication[] }> = await tx.query(
      `SELECT s.cluster_id, s.applications FROM desired_states s
       JOIN desired_reactor_clusters c ON c.cluster_id = s.cluster_id
       WHERE s.applications @> $1::jsonb`,
      [JSON.stringify([{ name: application }])],
    );
    const out = new Map<string, AssignedApplication>();
    for (const row of rows) {
      const found = row.applications.find((a) => a.name === application);
      if (found) out.set(row.cluster_id, found);
    }
    return out;
  }
}

function toApplication(row: {
  name: string;
  spec: ApplicationSpec;
  pinned_commit: string | null;
  good_commit: string | null;
  failed_commit: string | null;
}): ApplicationRow {
  return {
    name: row.name,
    spec: row.spec,
    pinnedCommit: row.pinned_commit,
    goodCommit: row.good_commit,
    failedCommit: row.failed_commit,
  };
}
