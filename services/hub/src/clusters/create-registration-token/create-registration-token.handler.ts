import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import {
  formatSecretToken,
  hashSecret,
  registrationTokenDecider,
  registrationTokenPrefix,
  registrationTokenStreamId,
} from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../../common/clock';
import { EVENT_STORE } from '../../event-store.provider';
import {
  CreateRegistrationTokenCommand,
  type CreateRegistrationTokenResult,
} from './create-registration-token.command';

@CommandHandler(CreateRegistrationTokenCommand)
export class CreateRegistrationTokenHandler implements ICommandHandler<
  CreateRegistrationTokenCommand,
  CreateRegistrationTokenResult
> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
  ) {}

  async execute(command: CreateRegistrationTokenCommand): Promise<CreateRegistrationTokenResult> {
    const tokenId = this.ids.tokenId();
    const secret = this.ids.secret();
    const { state, position } = await decideAndAppend(
      this.store,
      registrationTokenStreamId(tokenId),
      registrationTokenDecider,
      {
        type: 'CreateRegistrationToken',
        data: {
          tokenId,
          secretHash: hashSecret(secret),
          labels: command.labels,
          ttlMs: command.ttlMs,
          now: this.clock.now(),
        },
      },
      { actor: command.actor },
    );
    return {
      tokenId,
      token: formatSecretToken(registrationTokenPrefix, { tokenId, secret }),
      expiresAt: state.expiresAt!,
      labels: state.labels,
      position,
    };
  }
}
