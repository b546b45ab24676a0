import { Module } from '@nestjs/common';
import { CreateClusterGroupHandler } from './create-cluster-group/create-cluster-group.handler';
import { DeleteClusterGroupHandler } from './delete-cluster-group/delete-cluster-group.handler';
import { GroupsController } from './groups.controller';

@Module({
  controllers: [GroupsController],
  providers: [CreateClusterGroupHandler, DeleteClusterGroupHandler],
})
export class GroupsModule {}
