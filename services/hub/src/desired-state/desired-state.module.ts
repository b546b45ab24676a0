import { Logger, Module } from '@nestjs/common';
import { ApplicationRenderer } from '@flotilla/render';
import { createApplicationRenderer, loadRenderConfig } from '../render';
import { SourcesModule } from '../sources';
import { DESIRED_STATE_CONFIG, loadDesiredStateConfig } from './desired-state.config';
import { DesiredStateService } from './desired-state.service';

/**
 * Commits to signed desired states: the reactor (always), and the NATS push and responders
 * when the hub runs with NatsModule (global; REST-only hubs and tests leave it out). It
 * reads commits' files through the sources capability's SourceFilesPort.
 */
@Module({
  imports: [SourcesModule],
  providers: [
    { provide: DESIRED_STATE_CONFIG, useFactory: () => loadDesiredStateConfig() },
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
