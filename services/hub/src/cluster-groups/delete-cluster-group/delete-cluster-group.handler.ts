import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import {
  clusterGroupDecider,
  clusterGroupStreamId,
  NotFoundError,
  validateDnsLabel,
  ValidationError,
} from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { DeleteClusterGroupCommand } from './delete-cluster-group.command';

@CommandHandler(DeleteClusterGroupCommand)
export class DeleteClusterGroupHandler implements ICommandHandler<DeleteClusterGroupCommand, { position: number }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: DeleteClusterGroupCommand): Promise<{ position: number }> {
    try {
      validateDnsLabel(command.name, 'name');
    } catch (err) {
      if (err instanceof ValidationError)
        throw new NotFoundError(`cluster group "${command.name}" not found`, {
          code: 'cluster-group-not-found',
          cause: err,
        });
      throw err;
    }
    const { position } = await decideAndAppend(
      this.store,
      clusterGroupStreamId(command.name),
      clusterGroupDecider,
      { type: 'DeleteClusterGroup', data: { name: command.name } },
      { actor: command.actor },
    );
    return { position };
  }
}
