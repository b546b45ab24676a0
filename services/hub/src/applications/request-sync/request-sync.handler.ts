import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import {
  clusterDecider,
  clusterStreamId,
  ConflictError,
  isClusterId,
  matchesLabelSelector,
  ValidationError,
} from '@flotilla/domain';
import { findTarget } from '@flotilla/manifests';
import { ClustersReadModel } from '../../clusters/clusters.read-model';
import { loadAggregate } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { decideOnApplication, loadApplication, requireApplicationName } from '../application-stream';
import { RequestSyncCommand } from './request-sync.command';

@CommandHandler(RequestSyncCommand)
export class RequestSyncHandler implements ICommandHandler<RequestSyncCommand, { position: number }> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clusters: ClustersReadModel,
  ) {}

  async execute(command: RequestSyncCommand): Promise<{ position: number }> {
    requireApplicationName(command.name);
    if (command.clusterId !== undefined) await this.requireTargeted(command.name, command.clusterId);
    const { position } = await decideOnApplication(
      this.store,
      command.name,
      {
        type: 'RequestApplicationSync',
        data: { name: command.name, ...(command.clusterId !== undefined ? { clusterId: command.clusterId } : {}) },
      },
      command.actor,
    );
    return { position };
  }

  /** A sync of one cluster the application does not run on would be recorded and do nothing: refused. */
  private async requireTargeted(name: string, clusterId: string): Promise<void> {
    if (!isClusterId(clusterId))
      throw new ValidationError(`clusterId "${clusterId}" is not a cluster id (c + 16 hex digits)`, 'clusterId');
    const cluster = await loadAggregate(this.store, clusterStreamId(clusterId), clusterDecider);
    if (cluster.state.status !== 'registered')
      throw new ValidationError(`clusterId: no registered cluster "${clusterId}"`, 'clusterId', {
        code: 'unknown-cluster',
      });
    const { state } = await loadApplication(this.store, name);
    // An unknown application is the decider's 404; only a live one has targets to check.
    if (state.status !== 'active' || !state.spec) return;
    // Group membership follows labels, so it comes from the read models (as every view of membership does).
    const [view, groups] = await Promise.all([this.clusters.getCluster(clusterId), this.clusters.listGroups()]);
    if (!view) return;
    const memberOf = groups.filter((g) => matchesLabelSelector(g.selector, view.labels)).map((g) => g.name);
    if (!findTarget(state.spec, { labels: view.labels, groups: memberOf }))
      throw new ConflictError(`application "${name}" does not target cluster "${view.name}" (${clusterId})`, {
        code: 'cluster-not-targeted',
      });
  }
}
