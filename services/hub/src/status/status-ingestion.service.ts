import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import type { EventStore } from '@flotilla/event-store';
import { EVENT_STORE } from '../event-store.provider';
import { HubMetrics } from '../metrics/hub-metrics';
import { NATS_CONNECTION } from '../nats/nats-connection';
import { ReadModelClusterDirectory } from './cluster-directory';
import { StatusIngester } from './status-ingester';
import { STATUS_CONFIG, type StatusConfig } from './status.config';

/** The hub side of status: FLOTILLA_STATUS and its shared consumer at start, ingestion until shutdown. */
@Injectable()
export class StatusIngestionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StatusIngestion');
  readonly ingester: StatusIngester;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
    dataSource: DataSource,
    @Optional() metrics?: HubMetrics,
  ) {
    const directory = new ReadModelClusterDirectory(dataSource);
    this.ingester = new StatusIngester({
      nc,
      store,
      config,
      clusters: directory,
      ledger: directory,
      logger: {
        log: (line) => this.logger.log(line),
        warn: (line) => this.logger.warn(line),
        error: (line) => this.logger.error(line),
      },
    });
    if (metrics) this.registerMetrics(metrics, nc);
  }

  /** This replica's ingest counts, and the shared consumer's backlog (the same on every replica). */
  private registerMetrics(metrics: HubMetrics, nc: NatsConnection): void {
    const stats = this.ingester.stats;
    const { stream, consumer } = this.config;
    metrics.register(
      (registry) =>
        new Counter({
          name: 'flotilla_hub_status_reports_total',
          help: "Status reports this replica took off the stream, by what became of them ('appended' to the log, 'duplicate' redeliveries, 'rejected' as invalid or foreign).",
          labelNames: ['verdict'] as const,
          registers: [registry],
          collect() {
            this.reset();
            this.inc({ verdict: 'appended' }, stats.appended);
            this.inc({ verdict: 'duplicate' }, stats.duplicates);
            this.inc({ verdict: 'rejected' }, stats.rejected);
          },
        }),
    );
    metrics.register(
      (registry) =>
        new Gauge({
          name: 'flotilla_hub_status_ingest_backlog',
          help: 'Status reports waiting in the stream for the hub (not yet delivered, or delivered and not yet recorded).',
          registers: [registry],
          async collect() {
            // A scrape during a NATS outage keeps the last value rather than failing the whole page.
            try {
              const info = await (await jetstreamManager(nc)).consumers.info(stream, consumer);
              this.set(info.num_pending + info.num_ack_pending);
            } catch {
              /* the last value stands */
            }
          },
        }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ingester.ensureStream();
    this.ingester.start();
    this.logger.log(`consuming status reports from ${this.config.stream} as ${this.config.consumer}`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.ingester.stop();
  }
}
