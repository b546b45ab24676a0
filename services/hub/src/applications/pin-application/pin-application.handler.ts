import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { EVENT_STORE } from '../../event-store.provider';
import { decideOnApplication, requireApplicationName } from '../application-stream';
import { PinApplicationCommand } from './pin-application.command';

@CommandHandler(PinApplicationCommand)
export class PinApplicationHandler implements ICommandHandler<PinApplicationCommand, { position: number }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: PinApplicationCommand): Promise<{ position: number }> {
    requireApplicationName(command.name);
    // Whether the commit exists in the source is the renderer's to find out (RenderFailed keeps
    // the last good revision): a rollback target may predate what this hub has observed.
    const { position } = await decideOnApplication(
      this.store,
      command.name,
      { type: 'PinApplication', data: { name: command.name, commit: command.commit } },
      command.actor,
    );
    return { position };
  }
}
