import { Controller, Get, Header } from '@nestjs/common';
import { PublicRoute } from '../auth/principal';
import { HubMetrics } from './hub-metrics';

/**
 * Prometheus' scrape endpoint. Public like /healthz: it carries counts and latencies only, never
 * a cluster, application or actor name (see HubMetrics), so a scraper needs no API token.
 */
@Controller()
@PublicRoute()
export class MetricsController {
  constructor(private readonly metrics: HubMetrics) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
