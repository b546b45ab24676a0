import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore, NewEvent } from '@flotilla/event-store';
import {
  clusterDecider,
  clusterNameDecider,
  clusterNameStreamId,
  clusterStreamId,
  isClusterId,
  NotFoundError,
} from '@flotilla/domain';
import { decidedAgainOnConflict, loadAggregate } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { DeregisterClusterCommand } from './deregister-cluster.command';

@CommandHandler(DeregisterClusterCommand)
export class DeregisterClusterHandler implements ICommandHandler<DeregisterClusterCommand, { position: number }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: DeregisterClusterCommand): Promise<{ position: number }> {
    if (!isClusterId(command.clusterId))
      throw new NotFoundError(`cluster ${command.clusterId} not found`, { code: 'cluster-not-found' });
    const streamId = clusterStreamId(command.clusterId);
    // The cluster's stream keeps moving while its agent reports: decide again on a conflict.
    return decidedAgainOnConflict(async () => {
      const cluster = await loadAggregate(this.store, streamId, clusterDecider);
      const deregistered = clusterDecider.decide({ type: 'DeregisterCluster', data: {} }, cluster.state);
      const name = cluster.state.name!;
      const nameStream = clusterNameStreamId(name);
      const claim = await loadAggregate(this.store, nameStream, clusterNameDecider);
      const released = clusterNameDecider.decide(
        { type: 'ReleaseClusterName', data: { name, clusterId: command.clusterId } },
        claim.state,
      );
      const result = await this.store.appendMany(
        [
          { streamId, events: deregistered as NewEvent[], expectedVersion: cluster.version },
          ...(released.length > 0
            ? [{ streamId: nameStream, events: released as NewEvent[], expectedVersion: claim.version }]
            : []),
        ],
        { metadata: { actor: command.actor } },
      );
      return { position: Math.max(...result.positions) };
    });
  }
}
