import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import {
  NotFoundError,
  sourceDecider,
  sourceStreamId,
  validateDnsLabel,
  ValidationError,
  type SourceChanged,
} from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { UpdateSourceCommand } from './update-source.command';

/** Changes a source's branch, poll interval or secret references: one SourceChanged with the actor, or nothing. */
@CommandHandler(UpdateSourceCommand)
export class UpdateSourceHandler implements ICommandHandler<UpdateSourceCommand, { changed: string[] }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: UpdateSourceCommand): Promise<{ changed: string[] }> {
    try {
      validateDnsLabel(command.name, 'name');
    } catch (err) {
      if (err instanceof ValidationError)
        throw new NotFoundError(`source "${command.name}" not found`, { code: 'source-not-found', cause: err });
      throw err;
    }
    const { events } = await decideAndAppend(
      this.store,
      sourceStreamId(command.name),
      sourceDecider,
      { type: 'UpdateSource', data: { name: command.name, ...command.input } },
      { actor: command.actor },
    );
    const changed = events.find((e): e is SourceChanged => e.type === 'SourceChanged');
    return { changed: changed ? [...changed.data.changed] : [] };
  }
}
