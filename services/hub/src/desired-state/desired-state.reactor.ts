import type { EntityManager } from 'typeorm';
import type { EventStore, Projection, RecordedEvent } from '@flotilla/event-store';
import {
  decideRender,
  enforceObjectPolicy,
  pairsToRender,
  planEvent,
  type PlannedEvent,
  type RenderRequest,
  type Running,
} from '@flotilla/domain';
import type { Bundle } from '@flotilla/manifests';
import type { BundleRenderer } from './bundle-renderer';
import { DesiredStateCommitter, Reaction } from './desired-state.committer';
import { DesiredStateRepository } from './desired-state.repository';
import { collisions, objectKey } from './object-collisions';
import { desiredStateReactorHandles, toReactorEvent, type ReactorEvent } from './reactor-events';

export const desiredStateReactorName = 'hub-desired-state-reactor';
export { desiredStateReactorHandles };

export interface DesiredStateReactorLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * From a commit (or an application, label or group change) to each cluster's next desired
 * state. Runs as a projection over the log, in global order, with its checkpoint and its
 * view of the world (DesiredStateRepository) written in the same transaction; several hub
 * replicas take turns on the locked checkpoint row.
 *
 * For each event: take it into the view, ask the planner (libs/domain) what to render,
 * render through the one BundleRenderer, let the planner decide what the outcomes change,
 * and hand the whole reaction to the committer. Its appends (RevisionRendered, RenderFailed,
 * DesiredStateAssigned) go to the log on their own connection, before the batch commits,
 * with deterministic ids: a batch retried after a crash appends nothing twice.
 */
export class DesiredStateReactor implements Projection {
  readonly name = desiredStateReactorName;
  readonly handles = desiredStateReactorHandles;
  /** Clusters whose desired state changed since the last `takeTouched`; published after commit. */
  private touched = new Set<string>();
  private readonly committer: DesiredStateCommitter;

  constructor(
    store: EventStore,
    private readonly renderer: BundleRenderer,
    private readonly logger: DesiredStateReactorLogger,
  ) {
    this.committer = new DesiredStateCommitter(store, this.name, (message) => logger.log(message));
  }

  takeTouched(): string[] {
    const touched = [...this.touched];
    this.touched = new Set();
    return touched;
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    const repository = new DesiredStateRepository(tx);
    for (const recorded of events) {
      const event = toReactorEvent(recorded);
      const planned = event && (await this.takeIn(event, repository));
      if (!planned) continue;
      const reaction = new Reaction(this.name, recorded);
      const requests = planEvent(await repository.view(), planned, recorded.id);
      await this.carryOut(requests, reaction, repository);
      for (const clusterId of await this.committer.commit(reaction, repository)) this.touched.add(clusterId);
    }
  }

  async reset(): Promise<void> {
    // A rebuild would re-render history and re-assign revisions: the reactor's effects are in the log already.
    throw new Error(`${this.name} is not rebuilt from the log: it appends events; move its checkpoint instead`);
  }

  /** Updates the view with the event; returns it when it may change an assignment (then it is planned). */
  private async takeIn(event: ReactorEvent, repository: DesiredStateRepository): Promise<PlannedEvent | undefined> {
    switch (event.type) {
      case 'SourceAdded':
        await repository.putSource({
          name: event.data.name,
          url: event.data.url,
          branch: event.data.branch,
          credentialsRef: event.data.credentialsRef ?? null,
        });
        return undefined;
      case 'SourceChanged':
        // Where files are read from; the newest commit stays until the next fetch of the (new) branch.
        await repository.changeSource(event.data.name, event.data.branch, event.data.credentialsRef ?? null);
        return undefined;
      case 'SourceRemoved':
        await repository.removeSource(event.data.name);
        return undefined;
      case 'CommitObserved':
        await repository.setLatestCommit(event.data.source, event.data.sha);
        return event;
      case 'SourceHistoryRewritten':
        await repository.setLatestCommit(event.data.source, event.data.newSha);
        return event;
      case 'ApplicationCreated':
        await repository.createApplication(event.data.name, event.data.spec);
        return event;
      case 'ApplicationChanged':
        await repository.changeApplication(event.data.name, event.data.spec);
        return event;
      case 'ApplicationDeleted':
        await repository.deleteApplication(event.data.name);
        return event;
      case 'ApplicationPinned':
        await repository.setPin(event.data.name, event.data.commit);
        return event;
      case 'ApplicationUnpinned':
        await repository.setPin(event.data.name, null);
        return event;
      case 'ApplicationSyncRequested':
        return event;
      case 'ApplicationPolicySet':
        await repository.setPolicy(event.data.application, event.data.policy);
        return event;
      case 'ClusterRegistered':
        await repository.putCluster({
          clusterId: event.data.clusterId,
          name: event.data.name,
          labels: event.data.labels ?? {},
          kubernetesVersion: event.data.kubernetesVersion,
          apiVersions: event.data.apiVersions,
        });
        return event;
      case 'ClusterLabelsChanged':
        return (await repository.relabelCluster(event.data.clusterId, event.data.labels ?? {})) ? event : undefined;
      case 'ClusterDeregistered':
        // Its agent is revoked at the NATS server: nothing is assigned to it any more.
        await repository.removeCluster(event.data.clusterId);
        return undefined;
      case 'ClusterGroupCreated':
        await repository.putGroup({ name: event.data.name, selector: event.data.selector ?? {} });
        return event;
      case 'ClusterGroupDeleted':
        await repository.removeGroup(event.data.name);
        return event;
    }
  }

  /** Renders each request and adds its decision to the reaction; a decision may ask for a follow-up. */
  private async carryOut(
    requests: RenderRequest[],
    reaction: Reaction,
    repository: DesiredStateRepository,
  ): Promise<void> {
    const queue = [...requests];
    for (let request = queue.shift(); request; request = queue.shift()) {
      const name = request.kind === 'remove' ? request.application : request.application.name;
      const running: Running = await repository.running(name);
      const pairs = pairsToRender(request, running);
      const rendered = new Map<string, Bundle>();
      let outcomes: Awaited<ReturnType<BundleRenderer['render']>> = [];
      if (request.kind !== 'remove' && request.commit !== null && pairs.length > 0) {
        const app = request.application;
        const source = await repository.source(app.spec.source);
        const made = await this.renderer.render({ application: app, commit: request.commit, pairs, source });
        // What the application may create is judged on what the renderer made, before any decision;
        // then no object may be one another application already manages on the cluster.
        outcomes = await this.withoutCollisions(name, enforceObjectPolicy(request, made), pairs, repository);
        for (const outcome of outcomes) if (outcome.ok) rendered.set(outcome.bundle.digest, outcome.bundle);
      }
      const decision = decideRender(request, outcomes, running);
      if (decision.application) await repository.setCommits(name, decision.application);
      if (decision.rejected) {
        this.logger.warn(
          `application ${name}: commit ${decision.rejected} did not render for every targeted cluster; no cluster moves to it`,
        );
      }
      reaction.add(decision, rendered);
      queue.push(...decision.next);
    }
  }

  /**
   * A bundle holding an object that another application is assigned on the same cluster does
   * not render there (see object-collisions.ts); the decision then treats it as any failure.
   */
  private async withoutCollisions(
    application: string,
    outcomes: Awaited<ReturnType<BundleRenderer['render']>>,
    pairs: ReturnType<typeof pairsToRender>,
    repository: DesiredStateRepository,
  ): Promise<Awaited<ReturnType<BundleRenderer['render']>>> {
    const keysByDigest = new Map<string, string[]>();
    const keysOf = async (digest: string): Promise<string[]> => {
      let keys = keysByDigest.get(digest);
      if (!keys) {
        const objects = (await repository.bundleObjects(digest)) ?? [];
        keys = objects.flatMap((o) => objectKey(o) ?? []);
        keysByDigest.set(digest, keys);
      }
      return keys;
    };
    const checked: Awaited<ReturnType<BundleRenderer['render']>> = [];
    for (const outcome of outcomes) {
      if (!outcome.ok) {
        checked.push(outcome);
        continue;
      }
      const others = new Map<string, string>();
      const assigned = (await repository.desiredState(outcome.clusterId))?.applications ?? [];
      for (const other of assigned) {
        if (other.name === application) continue;
        for (const key of await keysOf(other.bundleDigest)) if (!others.has(key)) others.set(key, other.name);
      }
      const clusterName =
        pairs.find((p) => p.cluster.clusterId === outcome.clusterId)?.cluster.name ?? outcome.clusterId;
      const found = others.size === 0 ? [] : collisions(outcome.bundle.objects, others, clusterName);
      if (found.length === 0) checked.push(outcome);
      else
        checked.push({
          clusterId: outcome.clusterId,
          ok: false,
          errors: found.map((reason) => ({ file: null, documentIndex: null, code: 'object-conflict', reason })),
        });
    }
    return checked;
  }
}
