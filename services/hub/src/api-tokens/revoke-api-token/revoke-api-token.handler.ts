import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { apiTokenDecider, apiTokenStreamId, isTokenId, NotFoundError } from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { CLOCK, type Clock } from '../../common/clock';
import { EVENT_STORE } from '../../event-store.provider';
import { RevokeApiTokenCommand } from './revoke-api-token.command';

@CommandHandler(RevokeApiTokenCommand)
export class RevokeApiTokenHandler implements ICommandHandler<RevokeApiTokenCommand, void> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: RevokeApiTokenCommand): Promise<void> {
    if (!isTokenId(command.tokenId))
      throw new NotFoundError(`API token ${command.tokenId} not found`, { code: 'api-token-not-found' });
    await decideAndAppend(
      this.store,
      apiTokenStreamId(command.tokenId),
      apiTokenDecider,
      { type: 'RevokeApiToken', data: { now: this.clock.now() } },
      { actor: command.actor },
    );
  }
}
