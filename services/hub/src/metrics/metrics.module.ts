import { Global, Module } from '@nestjs/common';
import { HubMetrics } from './hub-metrics';
import { MetricsController } from './metrics.controller';
import { RolloutLatency } from './rollout-latency';

/** GET /metrics; global so any capability can record into HubMetrics without importing this module. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [HubMetrics, RolloutLatency],
  exports: [HubMetrics],
})
export class MetricsModule {}
