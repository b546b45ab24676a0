import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore, NewEvent } from '@flotilla/event-store';
import { apiTokenDecider, apiTokenPrefix, formatSecretToken, hashSecret } from '@flotilla/domain';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../../common/clock';
import { EVENT_STORE } from '../../event-store.provider';
import { appendApiTokenWithName } from '../api-token-names';
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
    // A fresh id: the token's stream is new. Its name is claimed with it (one name, one token).
    const events = apiTokenDecider.decide(
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
      apiTokenDecider.initialState(),
    );
    await appendApiTokenWithName(this.store, { tokenId, name: command.name }, events as NewEvent[], command.actor);
    return {
      tokenId,
      name: command.name,
      role: command.role,
      token: formatSecretToken(apiTokenPrefix, { tokenId, secret }),
    };
  }
}
