import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiAuthGuard } from './api-auth.guard';
import { ApiTokenAuthenticator, BOOTSTRAP_ADMIN_TOKEN_HASH, bootstrapAdminTokenHash } from './api-token-authenticator';

@Module({})
export class AuthModule {
  static forRoot(options: { bootstrapAdminToken?: string }): DynamicModule {
    return {
      module: AuthModule,
      // Global for its hash: GET /api-tokens lists the bootstrap token beside the recorded ones.
      global: true,
      exports: [BOOTSTRAP_ADMIN_TOKEN_HASH],
      providers: [
        // Only the hash is kept, so the token cannot leak from a heap dump or a debug print.
        { provide: BOOTSTRAP_ADMIN_TOKEN_HASH, useValue: bootstrapAdminTokenHash(options.bootstrapAdminToken) },
        ApiTokenAuthenticator,
        { provide: APP_GUARD, useClass: ApiAuthGuard },
      ],
    };
  }
}
