import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@flotilla/domain';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/principal';
import { parseInput } from '../common/validation';
import { readApplicationBody, type RequestWithBody } from './application-body';
import { ApplyApplicationCommand } from './apply-application/apply-application.command';
import { ApplicationsReadModel } from './applications.read-model';
import {
  pinApplicationSchema,
  requestSyncSchema,
  type AppliedApplication,
  type ApplicationView,
  type ItemList,
  type SyncAccepted,
} from '@flotilla/api';
import { DeleteApplicationCommand } from './delete-application/delete-application.command';
import { PinApplicationCommand } from './pin-application/pin-application.command';
import { RequestSyncCommand } from './request-sync/request-sync.command';
import { UnpinApplicationCommand } from './unpin-application/unpin-application.command';

@Controller('api/v1/applications')
export class ApplicationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: ApplicationsReadModel,
  ) {}

  @Get()
  async list(@Query('source') source?: string): Promise<ItemList<ApplicationView>> {
    return { items: await this.readModel.list(source ? { source } : {}) };
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<ApplicationView> {
    const application = await this.readModel.get(name);
    if (!application) throw new NotFoundError(`application "${name}" not found`, { code: 'application-not-found' });
    return application;
  }

  /** Create or change, from the application file (YAML or JSON). 201 when created, 200 otherwise (also when unchanged). */
  @Put(':name')
  @RequireRole('operator')
  async apply(
    @Param('name') name: string,
    @Req() req: RequestWithBody,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
    @CurrentPrincipal() principal: Principal,
  ): Promise<AppliedApplication> {
    const body = await readApplicationBody(req);
    const { outcome } = await this.commands.execute(new ApplyApplicationCommand(principal.actor, name, body));
    await this.readModel.catchUp();
    res.status(outcome === 'created' ? 201 : 200);
    return { ...(await this.get(name)), outcome };
  }

  @Delete(':name')
  @RequireRole('operator')
  @HttpCode(204)
  async delete(@Param('name') name: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.commands.execute(new DeleteApplicationCommand(principal.actor, name));
    await this.readModel.catchUp();
  }

  @Post(':name/pin')
  @RequireRole('operator')
  @HttpCode(200)
  async pin(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApplicationView> {
    const input = parseInput(pinApplicationSchema, body);
    await this.commands.execute(new PinApplicationCommand(principal.actor, name, input.commit));
    await this.readModel.catchUp();
    return this.get(name);
  }

  @Post(':name/unpin')
  @RequireRole('operator')
  @HttpCode(200)
  async unpin(@Param('name') name: string, @CurrentPrincipal() principal: Principal): Promise<ApplicationView> {
    await this.commands.execute(new UnpinApplicationCommand(principal.actor, name));
    await this.readModel.catchUp();
    return this.get(name);
  }

  /** Accepted: the agents apply it when they next hear from the hub; `GET .../status` shows the outcome. */
  @Post(':name/sync')
  @RequireRole('operator')
  @HttpCode(202)
  async sync(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SyncAccepted> {
    const input = parseInput(requestSyncSchema, body);
    await this.commands.execute(new RequestSyncCommand(principal.actor, name, input.clusterId));
    await this.readModel.catchUp();
    return { application: name, clusterId: input.clusterId ?? null, accepted: true };
  }
}
