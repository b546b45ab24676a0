import { Module } from '@nestjs/common';
import { AddSourceHandler } from './add-source/add-source.handler';
import { SourceLease } from './observe-source/source-lease';
import { SourceObserver } from './observe-source/source-observer';
import { SourcesPoller } from './observe-source/sources-poller';
import { ReceiveWebhookHandler } from './receive-webhook/receive-webhook.handler';
import { SourceWebhookController } from './receive-webhook/source-webhook.controller';
import { GitSourceFiles } from './read-files/git-source-files';
import { SourceFilesPort } from './read-files/source-files.port';
import { RemoveSourceHandler } from './remove-source/remove-source.handler';
import { UpdateSourceHandler } from './update-source/update-source.handler';
import { SourceSecrets } from './source-secrets';
import { loadSourcesConfig, SOURCES_CONFIG } from './sources.config';
import { SourcesController } from './sources.controller';
import { SourcesReadModel } from './sources.read-model';

@Module({
  controllers: [SourcesController, SourceWebhookController],
  providers: [
    // From FLOTILLA_HUB_GIT_*; tests override the provider with their own directories.
    { provide: SOURCES_CONFIG, useFactory: () => loadSourcesConfig() },
    SourceSecrets,
    SourcesReadModel,
    SourceLease,
    SourceObserver,
    SourcesPoller,
    AddSourceHandler,
    RemoveSourceHandler,
    UpdateSourceHandler,
    ReceiveWebhookHandler,
    { provide: SourceFilesPort, useClass: GitSourceFiles },
  ],
  // SourceFilesPort is how other capabilities read a source's files (desired-state renders from it).
  exports: [SourcesReadModel, SourceObserver, SourceFilesPort],
})
export class SourcesModule {}
