import { Controller, Get, Param } from '@nestjs/common';
import { applicationResourcesParamsSchema, type ApplicationResourcesView, type ApplicationStatus } from '@flotilla/api';
import { NotFoundError } from '@flotilla/domain';
import { parseInput } from '../../common/validation';
import { ApplicationResourcesReadModel } from './application-resources.read-model';
import { ApplicationStatusReadModel } from './application-status.read-model';

@Controller('api/v1/applications')
export class ApplicationStatusController {
  constructor(
    private readonly readModel: ApplicationStatusReadModel,
    private readonly resources: ApplicationResourcesReadModel,
  ) {}

  /** Viewer: per cluster, what is desired, what is applied, sync, health and drift; all clusters. */
  @Get(':name/status')
  async status(@Param('name') name: string): Promise<ApplicationStatus> {
    await this.mustExist(name);
    return this.readModel.get(name);
  }

  /** Viewer: one cluster, resource by resource: the last sync's result, health and drift of each. */
  @Get(':name/clusters/:cluster/resources')
  async clusterResources(@Param() params: unknown): Promise<ApplicationResourcesView> {
    const { name, cluster } = parseInput(applicationResourcesParamsSchema, params);
    await this.mustExist(name);
    const found = await this.resources.findCluster(cluster);
    if (!found) throw new NotFoundError(`cluster "${cluster}" not found`, { code: 'cluster-not-found' });
    return this.resources.get(name, found);
  }

  private async mustExist(name: string): Promise<void> {
    if (!(await this.readModel.exists(name)))
      throw new NotFoundError(`application "${name}" not found`, { code: 'application-not-found' });
  }
}
