import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import { sourceDecider, sourceStreamId, validateDnsLabel, ValidationError } from '@flotilla/domain';
import { decideAndAppend } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { SourceSecrets } from '../source-secrets';
import { SOURCES_CONFIG, type SourcesConfig } from '../sources.config';
import { AddSourceCommand } from './add-source.command';

@CommandHandler(AddSourceCommand)
export class AddSourceHandler implements ICommandHandler<AddSourceCommand, { position: number }> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly secrets: SourceSecrets,
    @Inject(SOURCES_CONFIG) private readonly config: SourcesConfig,
  ) {}

  async execute(command: AddSourceCommand): Promise<{ position: number }> {
    const input = command.input;
    // Validated before it names a stream.
    validateDnsLabel(input.name, 'name');
    // A local source reads the hub's own disk: only where the hub was started allowing it.
    if (!this.config.allowLocalSources && typeof input.url === 'string' && /^\s*file:/i.test(input.url))
      throw new ValidationError(
        'url: local (file://) sources are off on this hub; start it with FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES=true to allow them',
        'url',
        { code: 'local-sources-off' },
      );
    // A reference this hub cannot resolve would only fail later, on every fetch: refuse it now.
    for (const field of ['credentialsRef', 'webhookSecretRef'] as const) {
      const ref = input[field];
      if (ref !== undefined && /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(ref) && !(await this.secrets.exists(ref)))
        throw new ValidationError(
          `${field}: no secret file "${ref}" in this hub's FLOTILLA_HUB_GIT_CREDENTIALS_DIR`,
          field,
          { code: 'secret-unavailable' },
        );
    }
    const { position } = await decideAndAppend(
      this.store,
      sourceStreamId(input.name),
      sourceDecider,
      { type: 'AddSource', data: input },
      { actor: command.actor },
    );
    return { position };
  }
}
