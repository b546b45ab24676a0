import { Module } from '@nestjs/common';
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
  providers: [{ provide: DESIRED_STATE_CONFIG, useFactory: () => loadDesiredStateConfig() }, DesiredStateService],
  exports: [DesiredStateService],
})
export class DesiredStateModule {}
