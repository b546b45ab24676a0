import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@flotilla/domain';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/principal';
import { ClustersReadModel, type ClusterGroupView, type ClusterView } from '../clusters/clusters.read-model';
import { parseInput } from '../common/validation';
import { ReadModelsService } from '../projections/read-models.service';
import { CreateClusterGroupCommand } from './create-cluster-group/create-cluster-group.command';
import { DeleteClusterGroupCommand } from './delete-cluster-group/delete-cluster-group.command';
import { createClusterGroupSchema, type ClusterGroup, type ItemList } from '@flotilla/api';

const withMembers = (group: ClusterGroupView, clusters: ClusterView[]): ClusterGroup => {
  const members = ClustersReadModel.membersOf(group, clusters).map((c) => ({
    id: c.id,
    name: c.name,
    state: c.state,
    labels: c.labels,
  }));
  return { ...group, members };
};

@Controller('api/v1/cluster-groups')
export class ClusterGroupsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: ClustersReadModel,
    private readonly readModels: ReadModelsService,
  ) {}

  @Post()
  @RequireRole('operator')
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<ClusterGroup> {
    const input = parseInput(createClusterGroupSchema, body);
    await this.commands.execute(
      new CreateClusterGroupCommand(principal.actor, input.name, input.selector, input.description),
    );
    await this.readModels.catchUp();
    return this.get(input.name);
  }

  @Get()
  async list(): Promise<ItemList<ClusterGroup>> {
    const [groups, clusters] = await Promise.all([this.readModel.listGroups(), this.readModel.listClusters()]);
    return { items: groups.map((g) => withMembers(g, clusters)) };
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<ClusterGroup> {
    const group = await this.readModel.getGroup(name);
    if (!group) throw new NotFoundError(`cluster group "${name}" not found`, { code: 'cluster-group-not-found' });
    return withMembers(group, await this.readModel.listClusters());
  }

  @Delete(':name')
  @RequireRole('operator')
  @HttpCode(204)
  async delete(@Param('name') name: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.commands.execute(new DeleteClusterGroupCommand(principal.actor, name));
    await this.readModels.catchUp();
  }
}
