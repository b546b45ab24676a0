import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { ClustersModule } from './clusters/clusters.module';
import { HttpErrorFilter } from './errors/http-error.filter';
import { ClusterGroupsModule } from './cluster-groups/cluster-groups.module';
import { HealthModule } from './health/health.module';
import type { ReadinessCheck } from './health/readiness';
import { HubCoreModule, type HubCoreOptions } from './hub-core.module';
import { OpenApiController } from './openapi/openapi.controller';
import { SourcesModule } from './sources';
import { DesiredStateModule } from './desired-state';
import { ApplicationsModule } from './applications';
import { ApplicationStatusModule } from './applications/status';
import { ApiTokensModule } from './api-tokens/api-tokens.module';
import { HistoryModule } from './history/history.module';
import { DriftModule } from './drift/drift.module';
import { TimeTravelModule } from './time-travel/time-travel.module';
import { AuditModule } from './audit/audit.module';
import { MetricsModule } from './metrics';

export interface AppModuleOptions extends HubCoreOptions {
  /**
   * The NATS side (connection, registration responder, revocation, liveness). main.ts always
   * passes them; REST-only tests leave them out and need no NATS server.
   */
  natsModules?: NonNullable<ModuleMetadata['imports']>;
  /** DI token of the NATS connection /readyz checks (given with natsModules). */
  natsConnectionToken?: string;
  readinessChecks?: ReadinessCheck[];
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HubCoreModule.forRoot(options),
        AuthModule.forRoot({ bootstrapAdminToken: options.config.FLOTILLA_HUB_ADMIN_TOKEN }),
        MetricsModule,
        HealthModule.forRoot({
          extraChecks: options.readinessChecks,
          natsConnectionToken: options.natsConnectionToken,
        }),
        ClustersModule,
        ClusterGroupsModule,
        ApiTokensModule,
        SourcesModule,
        DesiredStateModule,
        ApplicationsModule,
        ApplicationStatusModule,
        HistoryModule,
        DriftModule,
        TimeTravelModule,
        AuditModule,
        ...(options.natsModules ?? []),
      ],
      controllers: [OpenApiController],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
