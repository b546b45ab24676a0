import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { applicationPolicyDecider, applicationPolicyStreamId, validateDnsLabel } from '@flotilla/domain';
import type { EventStore } from '@flotilla/event-store';
import { decideAndAppend } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { SetApplicationPolicyCommand } from './set-application-policy.command';

@CommandHandler(SetApplicationPolicyCommand)
export class SetApplicationPolicyHandler implements ICommandHandler<SetApplicationPolicyCommand, { position: number }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: SetApplicationPolicyCommand): Promise<{ position: number }> {
    // The application need not exist: an admin may say what a name may create before anyone applies it.
    const application = validateDnsLabel(command.application, 'name');
    const { position } = await decideAndAppend(
      this.store,
      applicationPolicyStreamId(application),
      applicationPolicyDecider,
      { type: 'SetApplicationPolicy', data: { application, policy: command.policy } },
      { actor: command.actor },
    );
    return { position };
  }
}
