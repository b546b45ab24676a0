import { Body, Controller, Delete, Get, HttpCode, Inject, Optional, Param, Post, Put, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@flotilla/domain';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/principal';
import { parseInput } from '../common/validation';
import { durations } from '../durations';
import { ReadModelsService } from '../projections/read-models.service';
import { ChangeClusterLabelsCommand } from './change-cluster-labels/change-cluster-labels.command';
import { ClustersReadModel, type ClusterView } from './clusters.read-model';
import {
  createRegistrationTokenSchema,
  listClustersQuerySchema,
  setClusterLabelsSchema,
  type Cluster,
  type ClusterWithGroups,
  type ItemList,
  type RegistrationToken,
} from '@flotilla/api';
import { parseSelectorQuery } from './selector-query';
import { CreateRegistrationTokenCommand } from './create-registration-token/create-registration-token.command';
import { DeregisterClusterCommand } from './deregister-cluster/deregister-cluster.command';
import { NatsAuthority } from '../nats/nats-authority';

@Controller('api/v1')
export class ClustersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: ClustersReadModel,
    private readonly readModels: ReadModelsService,
    // Absent in REST-only test apps, which run without the NATS side.
    @Optional() @Inject(NatsAuthority) private readonly nats?: NatsAuthority,
  ) {}

  @Post('registration-tokens')
  @RequireRole('operator')
  async createRegistrationToken(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RegistrationToken> {
    const input = parseInput(createRegistrationTokenSchema, body);
    const ttlMs = (input.ttlSeconds ?? durations.registrationTokenTtlDefaultMs / 1000) * 1000;
    const result = await this.commands.execute(
      new CreateRegistrationTokenCommand(principal.actor, input.labels ?? {}, ttlMs),
    );
    // The agent needs the shared bootstrap user's creds to reach the registration subject
    // (nats-server 2.9 has no auth callout); they grant nothing without a valid token.
    const bootstrapCreds = this.nats ? await this.nats.bootstrapCreds() : undefined;
    return {
      tokenId: result.tokenId,
      token: result.token,
      expiresAt: result.expiresAt,
      labels: result.labels,
      bootstrapCreds,
    };
  }

  @Get('clusters')
  async list(@Query() query: unknown): Promise<ItemList<Cluster>> {
    const input = parseInput(listClustersQuerySchema, query);
    const selector = input.selector ? parseSelectorQuery(input.selector) : undefined;
    return {
      items: await this.readModel.listClusters({ selector, includeDeregistered: input.includeDeregistered === 'true' }),
    };
  }

  @Get('clusters/:clusterId')
  async get(@Param('clusterId') clusterId: string): Promise<ClusterWithGroups> {
    const cluster = await this.requireCluster(clusterId);
    const groups = (await this.readModel.listGroups())
      .filter((g) => ClustersReadModel.membersOf(g, [cluster]).length > 0)
      .map((g) => g.name);
    return { ...cluster, groups };
  }

  @Put('clusters/:clusterId/labels')
  @RequireRole('operator')
  async setLabels(
    @Param('clusterId') clusterId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Cluster> {
    const input = parseInput(setClusterLabelsSchema, body);
    await this.commands.execute(new ChangeClusterLabelsCommand(principal.actor, clusterId, input.labels));
    await this.readModels.catchUp();
    return this.requireCluster(clusterId);
  }

  @Delete('clusters/:clusterId')
  @RequireRole('admin')
  @HttpCode(200)
  async deregister(@Param('clusterId') clusterId: string, @CurrentPrincipal() principal: Principal): Promise<Cluster> {
    await this.commands.execute(new DeregisterClusterCommand(principal.actor, clusterId));
    await this.readModels.catchUp();
    return this.requireCluster(clusterId);
  }

  private async requireCluster(clusterId: string): Promise<ClusterView> {
    const cluster = await this.readModel.getCluster(clusterId);
    if (!cluster) throw new NotFoundError(`cluster ${clusterId} not found`, { code: 'cluster-not-found' });
    return cluster;
  }
}
