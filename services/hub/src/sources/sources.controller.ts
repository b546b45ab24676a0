import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@flotilla/domain';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/principal';
import { parseInput } from '../common/validation';
import { AddSourceCommand } from './add-source/add-source.command';
import { RemoveSourceCommand } from './remove-source/remove-source.command';
import { SourcesReadModel } from './sources.read-model';
import { addSourceSchema, type ItemList, type Source } from '@flotilla/api';

@Controller('api/v1/sources')
export class SourcesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: SourcesReadModel,
  ) {}

  @Post()
  @RequireRole('operator')
  async add(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<Source> {
    const input = parseInput(addSourceSchema, body);
    await this.commands.execute(new AddSourceCommand(principal.actor, input));
    await this.readModel.catchUp();
    return this.get(input.name);
  }

  @Get()
  async list(): Promise<ItemList<Source>> {
    return { items: await this.readModel.list() };
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<Source> {
    const source = await this.readModel.get(name);
    if (!source) throw new NotFoundError(`source "${name}" not found`, { code: 'source-not-found' });
    return source;
  }

  /** Operator, like adding: removing stops watching but erases nothing (the log keeps every observation). */
  @Delete(':name')
  @RequireRole('operator')
  @HttpCode(204)
  async remove(@Param('name') name: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.commands.execute(new RemoveSourceCommand(principal.actor, name));
    await this.readModel.catchUp();
  }
}
