import { Module } from '@nestjs/common';
import { ApplicationStatusController } from './application-status.controller';
import { ApplicationResourcesReadModel } from './application-resources.read-model';
import { ApplicationStatusReadModel } from './application-status.read-model';

@Module({
  controllers: [ApplicationStatusController],
  providers: [ApplicationStatusReadModel, ApplicationResourcesReadModel],
  exports: [ApplicationStatusReadModel],
})
export class ApplicationStatusModule {}
