export { HubMetrics } from './hub-metrics';
export { MetricsModule } from './metrics.module';
