import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { clusterDecider, clusterStreamId, isClusterId, NotFoundError } from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { ChangeClusterLabelsCommand } from './change-cluster-labels.command';

@CommandHandler(ChangeClusterLabelsCommand)
export class ChangeClusterLabelsHandler implements ICommandHandler<
  ChangeClusterLabelsCommand,
  { labels: Record<string, string>; position: number }
> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: ChangeClusterLabelsCommand): Promise<{ labels: Record<string, string>; position: number }> {
    if (!isClusterId(command.clusterId))
      throw new NotFoundError(`cluster ${command.clusterId} not found`, { code: 'cluster-not-found' });
    const { state, position } = await decideAndAppend(
      this.store,
      clusterStreamId(command.clusterId),
      clusterDecider,
      { type: 'ChangeClusterLabels', data: { labels: command.labels } },
      { actor: command.actor },
    );
    return { labels: state.labels, position };
  }
}
