import { Module } from '@nestjs/common';
import { StatusIngestionService } from './status-ingestion.service';
import { loadStatusConfig, STATUS_CONFIG } from './status.config';

/** Agents' status reports in, status events out. Needs NatsModule and the hub core (event store, database). */
@Module({
  providers: [{ provide: STATUS_CONFIG, useFactory: () => loadStatusConfig() }, StatusIngestionService],
  exports: [StatusIngestionService],
})
export class StatusModule {}
