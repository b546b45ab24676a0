import { Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

@Module({})
export class HealthModule {
  /** `natsConnectionToken`: DI token of a NatsConnection to check, resolved lazily (it is connected by another module). */
  static forRoot(options: { extraChecks?: ReadinessCheck[]; natsConnectionToken?: string } = {}): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        {
          provide: READINESS_CHECKS,
          inject: [DataSource, ModuleRef],
          useFactory: (dataSource: DataSource, moduleRef: ModuleRef): ReadinessCheck[] => [
            {
              name: 'postgres',
              check: async () => {
                await dataSource.query('SELECT 1');
              },
            },
            ...(options.natsConnectionToken ? [natsCheck(moduleRef, options.natsConnectionToken)] : []),
            ...(options.extraChecks ?? []),
          ],
        },
      ],
    };
  }
}

/** A round trip to the server (flush), not just "the client object exists". */
function natsCheck(moduleRef: ModuleRef, token: string): ReadinessCheck {
  return {
    name: 'nats',
    check: async () => {
      const nc = moduleRef.get<{ isClosed(): boolean; flush(): Promise<void> }>(token, { strict: false });
      if (nc.isClosed()) throw new Error('the NATS connection is closed');
      await nc.flush();
    },
  };
}
