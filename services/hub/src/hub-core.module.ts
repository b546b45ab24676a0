import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { PostgresEventStore } from '@flotilla/event-store';
import { ClustersReadModel } from './clusters/clusters.read-model';
import { CLOCK, ID_GENERATOR, randomIds, systemClock, type Clock, type IdGenerator } from './common/clock';
import { HUB_CONFIG, type HubConfig } from './config/hub.config';
import { EVENT_STORE } from './event-store.provider';
import { ReadModelsService } from './projections/read-models.service';

export interface HubCoreOptions {
  config: HubConfig;
  dataSource: DataSource;
  eventStore: PostgresEventStore;
  clock?: Clock;
  ids?: IdGenerator;
}

/** What every capability module (and the NATS side) injects: the event store, the database, time, ids, read models. */
@Global()
@Module({})
export class HubCoreModule {
  static forRoot(options: HubCoreOptions): DynamicModule {
    const providers = [
      { provide: EVENT_STORE, useValue: options.eventStore },
      { provide: DataSource, useValue: options.dataSource },
      { provide: HUB_CONFIG, useValue: options.config },
      { provide: CLOCK, useValue: options.clock ?? systemClock },
      { provide: ID_GENERATOR, useValue: options.ids ?? randomIds },
      ReadModelsService,
      ClustersReadModel,
    ];
    return {
      module: HubCoreModule,
      imports: [CqrsModule.forRoot()],
      providers,
      exports: [...providers.map((p) => ('provide' in p ? p.provide : p)), CqrsModule],
    };
  }
}
