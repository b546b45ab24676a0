import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { HubMetrics } from '../metrics/hub-metrics';
import { NatsAuthority } from './nats-authority';
import { closeNats, connectNats, NATS_CONNECTION } from './nats-connection';
import { loadNatsConfig, NATS_CONFIG, type NatsConfig } from './nats.config';
import { SYSTEM_NATS_CONNECTION } from './registration/registration.tokens';

// Connections close after every service stopped (services stop in onModuleDestroy, which
// Nest runs before any onApplicationShutdown).
@Injectable()
class NatsConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SYSTEM_NATS_CONNECTION) private readonly system: NatsConnection,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([closeNats(this.nc), closeNats(this.system)]);
  }
}

// A hub without the metrics module (some tests) connects all the same.
const optionalMetrics = { token: HubMetrics, optional: true };

function providers(config: Provider): Provider[] {
  return [
    config,
    {
      provide: NatsAuthority,
      inject: [NATS_CONFIG],
      useFactory: (c: NatsConfig) => new NatsAuthority(c),
    },
    {
      provide: NATS_CONNECTION,
      inject: [NATS_CONFIG, NatsAuthority, optionalMetrics],
      useFactory: async (c: NatsConfig, authority: NatsAuthority, metrics?: HubMetrics) =>
        connectNats({
          servers: c.servers,
          creds: c.hubCreds ?? (await authority.hubCreds()),
          name: 'flotilla-hub',
          onReconnect: () => metrics?.natsReconnects.inc({ connection: 'application' }),
        }),
    },
    {
      provide: SYSTEM_NATS_CONNECTION,
      inject: [NATS_CONFIG, optionalMetrics],
      useFactory: (c: NatsConfig, metrics?: HubMetrics) =>
        connectNats({
          servers: c.servers,
          creds: c.systemCreds,
          name: 'flotilla-hub-system',
          onReconnect: () => metrics?.natsReconnects.inc({ connection: 'system' }),
        }),
    },
    NatsConnectionsCloser,
  ];
}

const exported = [NATS_CONFIG, NatsAuthority, NATS_CONNECTION, SYSTEM_NATS_CONNECTION];

/**
 * The hub's NATS connections and key authority. Global: registration, liveness and later
 * capabilities (desired state, status ingestion) inject NATS_CONNECTION. Reads its
 * settings from FLOTILLA_HUB_NATS_* unless given a config (tests).
 */
@Global()
@Module({
  providers: providers({ provide: NATS_CONFIG, useFactory: () => loadNatsConfig() }),
  exports: exported,
})
export class NatsModule {
  static forConfig(config: NatsConfig): DynamicModule {
    return {
      module: NatsModule,
      global: true,
      providers: providers({ provide: NATS_CONFIG, useValue: config }),
      exports: exported,
    };
  }
}
