import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { EVENT_STORE } from '../../event-store.provider';
import { decideOnApplication, requireApplicationName } from '../application-stream';
import { DeleteApplicationCommand } from './delete-application.command';

@CommandHandler(DeleteApplicationCommand)
export class DeleteApplicationHandler implements ICommandHandler<DeleteApplicationCommand, { position: number }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: DeleteApplicationCommand): Promise<{ position: number }> {
    requireApplicationName(command.name);
    const { position } = await decideOnApplication(
      this.store,
      command.name,
      { type: 'DeleteApplication', data: { name: command.name } },
      command.actor,
    );
    return { position };
  }
}
