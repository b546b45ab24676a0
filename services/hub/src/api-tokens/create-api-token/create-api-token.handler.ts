import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { apiTokenDecider, apiTokenPrefix, apiTokenStreamId, formatSecretToken, hashSecret } from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../../common/clock';
import { EVENT_STORE } from '../../event-store.provider';
import { CreateApiTokenCommand, type CreateApiTokenResult } from './create-api-token.command';

@CommandHandler(CreateApiTokenCommand)
export class CreateApiTokenHandler implements ICommandHandler<CreateApiTokenCommand, CreateApiTokenResult> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
  ) {}

  async execute(command: CreateApiTokenCommand): Promise<CreateApiTokenResult> {
    const tokenId = this.ids.tokenId();
    const secret = this.ids.secret();
    await decideAndAppend(
      this.store,
      apiTokenStreamId(tokenId),
      apiTokenDecider,
      {
        type: 'CreateApiToken',
        data: {
          tokenId,
          name: command.name,
          role: command.role,
          secretHash: hashSecret(secret),
          now: this.clock.now(),
        },
      },
      { actor: command.actor },
    );
    return {
      tokenId,
      name: command.name,
      role: command.role,
      token: formatSecretToken(apiTokenPrefix, { tokenId, secret }),
    };
  }
}
