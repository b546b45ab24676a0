import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import type { EventStore } from '@flotilla/event-store';
import { EVENT_STORE } from '../event-store.provider';
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
