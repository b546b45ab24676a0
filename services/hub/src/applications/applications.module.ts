import { Module } from '@nestjs/common';
import { ApplyApplicationHandler } from './apply-application/apply-application.handler';
import { ApplicationsController } from './applications.controller';
import { ApplicationsReadModel } from './applications.read-model';
import { DeleteApplicationHandler } from './delete-application/delete-application.handler';
import { PinApplicationHandler } from './pin-application/pin-application.handler';
import { RequestSyncHandler } from './request-sync/request-sync.handler';
import { UnpinApplicationHandler } from './unpin-application/unpin-application.handler';

@Module({
  controllers: [ApplicationsController],
  providers: [
    ApplicationsReadModel,
    ApplyApplicationHandler,
    DeleteApplicationHandler,
    PinApplicationHandler,
    UnpinApplicationHandler,
    RequestSyncHandler,
  ],
  exports: [ApplicationsReadModel],
})
export class ApplicationsModule {}
