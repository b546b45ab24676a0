import { Module } from '@nestjs/common';
import { ApplicationPolicyController } from './application-policy/application-policy.controller';
import { SetApplicationPolicyHandler } from './application-policy/set-application-policy.handler';
import { ApplyApplicationHandler } from './apply-application/apply-application.handler';
import { ApplicationsController } from './applications.controller';
import { ApplicationsReadModel } from './applications.read-model';
import { DeleteApplicationHandler } from './delete-application/delete-application.handler';
import { PinApplicationHandler } from './pin-application/pin-application.handler';
import { RequestSyncHandler } from './request-sync/request-sync.handler';
import { UnpinApplicationHandler } from './unpin-application/unpin-application.handler';

@Module({
  controllers: [ApplicationPolicyController, ApplicationsController],
  providers: [
    ApplicationsReadModel,
    ApplyApplicationHandler,
    DeleteApplicationHandler,
    PinApplicationHandler,
    UnpinApplicationHandler,
    RequestSyncHandler,
    SetApplicationPolicyHandler,
  ],
  exports: [ApplicationsReadModel],
})
export class ApplicationsModule {}
