import { Module } from '@nestjs/common';
import { CreateClusterGroupHandler } from './create-cluster-group/create-cluster-group.handler';
import { DeleteClusterGroupHandler } from './delete-cluster-group/delete-cluster-group.handler';
import { ClusterGroupsController } from './cluster-groups.controller';

@Module({
  controllers: [ClusterGroupsController],
  providers: [CreateClusterGroupHandler, DeleteClusterGroupHandler],
})
export class ClusterGroupsModule {}
