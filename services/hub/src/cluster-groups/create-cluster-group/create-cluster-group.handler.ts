import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { clusterGroupDecider, clusterGroupStreamId, validateDnsLabel } from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { CreateClusterGroupCommand } from './create-cluster-group.command';

@CommandHandler(CreateClusterGroupCommand)
export class CreateClusterGroupHandler implements ICommandHandler<CreateClusterGroupCommand, { position: number }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: CreateClusterGroupCommand): Promise<{ position: number }> {
    // Validated before it names a stream.
    validateDnsLabel(command.name, 'name');
    const { position } = await decideAndAppend(
      this.store,
      clusterGroupStreamId(command.name),
      clusterGroupDecider,
      {
        type: 'CreateClusterGroup',
        data: { name: command.name, selector: command.selector, description: command.description },
      },
      { actor: command.actor },
    );
    return { position };
  }
}
