import { Module } from '@nestjs/common';
import { ChangeClusterLabelsHandler } from './change-cluster-labels/change-cluster-labels.handler';
import { ClustersController } from './clusters.controller';
import { CreateRegistrationTokenHandler } from './create-registration-token/create-registration-token.handler';
import { DeregisterClusterHandler } from './deregister-cluster/deregister-cluster.handler';
import { RegisterClusterHandler } from './register-cluster/register-cluster.handler';

@Module({
  controllers: [ClustersController],
  providers: [
    RegisterClusterHandler,
    CreateRegistrationTokenHandler,
    ChangeClusterLabelsHandler,
    DeregisterClusterHandler,
  ],
})
export class ClustersModule {}
