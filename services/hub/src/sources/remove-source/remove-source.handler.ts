import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { NotFoundError, sourceDecider, sourceStreamId, validateDnsLabel, ValidationError } from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { RemoveSourceCommand } from './remove-source.command';

@CommandHandler(RemoveSourceCommand)
export class RemoveSourceHandler implements ICommandHandler<RemoveSourceCommand, { position: number }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: RemoveSourceCommand): Promise<{ position: number }> {
    try {
      validateDnsLabel(command.name, 'name');
    } catch (err) {
      if (err instanceof ValidationError)
        throw new NotFoundError(`source "${command.name}" not found`, { code: 'source-not-found', cause: err });
      throw err;
    }
    const { position } = await decideAndAppend(
      this.store,
      sourceStreamId(command.name),
      sourceDecider,
      { type: 'RemoveSource', data: { name: command.name } },
      { actor: command.actor },
    );
    return { position };
  }
}
