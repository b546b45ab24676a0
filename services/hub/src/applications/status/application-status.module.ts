import { Module } from '@nestjs/common';
import { ApplicationStatusController } from './application-status.controller';
import { ApplicationStatusReadModel } from './application-status.read-model';

@Module({
  controllers: [ApplicationStatusController],
  providers: [ApplicationStatusReadModel],
  exports: [ApplicationStatusReadModel],
})
export class ApplicationStatusModule {}
