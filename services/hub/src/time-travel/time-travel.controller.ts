import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { NotFoundError } from '@flotilla/domain';
import { ClustersReadModel } from '../clusters/clusters.read-model';
import { CLOCK, type Clock } from '../common/clock';
import { parseInput } from '../common/validation';
import { clusterStateQuerySchema, type ClusterStateAt } from '@flotilla/api';
import { TimeTravelReadModel } from './time-travel.read-model';

/**
 * GET /api/v1/clusters/{id}/state?at=T: what the cluster was meant to run (its last
 * DesiredStateAssigned recorded at or before T) and had applied (its last SyncSucceeded per
 * application at or before T, unless removed since), by the log's recorded time.
 */
@Controller('api/v1/clusters')
export class TimeTravelController {
  constructor(
    private readonly readModel: TimeTravelReadModel,
    private readonly clusters: ClustersReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':clusterId/state')
  async state(@Param('clusterId') clusterId: string, @Query() query: unknown): Promise<ClusterStateAt> {
    const input = parseInput(clusterStateQuerySchema, query);
    const cluster = await this.clusters.getCluster(clusterId);
    if (!cluster) throw new NotFoundError(`cluster "${clusterId}" not found`, { code: 'cluster-not-found' });
    const state = await this.readModel.stateAt(clusterId, input.at ?? this.clock.now());
    return {
      ...state,
      clusterName: cluster.name,
      registeredAt: cluster.registeredAt,
      deregisteredAt: cluster.deregisteredAt,
    };
  }
}
