import { Logger, Module } from '@nestjs/common';
import { ApplicationRenderer } from '@flotilla/render';
import { createApplicationRenderer, loadRenderConfig } from '../render';
import { SourceSecrets } from '../sources/source-secrets';
import { loadSourcesConfig, SOURCES_CONFIG } from '../sources/sources.config';
import { DESIRED_STATE_CONFIG, loadDesiredStateConfig } from './desired-state.config';
import { DesiredStateService } from './desired-state.service';
import { SourceFilesReader } from './source-files';

/**
 * Commits to signed desired states: the reactor (always), and the NATS push and responders
 * when the hub runs with NatsModule (global; REST-only hubs and tests leave it out).
 */
@Module({
  providers: [
    { provide: DESIRED_STATE_CONFIG, useFactory: () => loadDesiredStateConfig() },
    // The same settings as the sources capability (its mirrors are the ones read); tests override both at once.
    { provide: SOURCES_CONFIG, useFactory: () => loadSourcesConfig() },
    SourceSecrets,
    SourceFilesReader,
    // Tools are checked here, at start-up: a configured helm or kubectl that is missing stops the hub.
    {
      provide: ApplicationRenderer,
      useFactory: () => createApplicationRenderer(loadRenderConfig(), new Logger('Render')),
    },
    DesiredStateService,
  ],
  exports: [DesiredStateService],
})
export class DesiredStateModule {}
