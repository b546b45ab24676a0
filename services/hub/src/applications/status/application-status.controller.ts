import { Controller, Get, Param } from '@nestjs/common';
import type { ApplicationStatus } from '@flotilla/api';
import { NotFoundError } from '@flotilla/domain';
import { ApplicationStatusReadModel } from './application-status.read-model';

@Controller('api/v1/applications')
export class ApplicationStatusController {
  constructor(private readonly readModel: ApplicationStatusReadModel) {}

  /** Viewer: per cluster, what is desired, what is applied, sync, health and drift; all clusters. */
  @Get(':name/status')
  async status(@Param('name') name: string): Promise<ApplicationStatus> {
    if (!(await this.readModel.exists(name)))
      throw new NotFoundError(`application "${name}" not found`, { code: 'application-not-found' });
    return this.readModel.get(name);
  }
}
