import { Module } from '@nestjs/common';
import { ApiTokensController } from './api-tokens.controller';
import { CreateApiTokenHandler } from './create-api-token/create-api-token.handler';
import { RevokeApiTokenHandler } from './revoke-api-token/revoke-api-token.handler';

@Module({
  controllers: [ApiTokensController],
  providers: [CreateApiTokenHandler, RevokeApiTokenHandler],
})
export class ApiTokensModule {}
