import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@flotilla/domain';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/principal';
import { parseInput } from '../common/validation';
import { AddSourceCommand } from './add-source/add-source.command';
import { RemoveSourceCommand } from './remove-source/remove-source.command';
import { UpdateSourceCommand } from './update-source/update-source.command';
import { durations } from '../durations';
import { SourceObserver } from './observe-source/source-observer';
import { SourcesReadModel } from './sources.read-model';
import {
  addSourceSchema,
  updateSourceSchema,
  type ItemList,
  type RefreshSourceResult,
  type Source,
} from '@flotilla/api';

@Controller('api/v1/sources')
export class SourcesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: SourcesReadModel,
    private readonly observer: SourceObserver,
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

  /**
   * Operator: fetch now instead of at the next poll (what a webhook does, for a remote that
   * sends none), and answer once the fetch is done and recorded. `busy`: another hub replica
   * holds the source's lease and is fetching it.
   */
  @Post(':name/refresh')
  @RequireRole('operator')
  @HttpCode(200)
  async refresh(@Param('name') name: string): Promise<RefreshSourceResult> {
    await this.get(name);
    const result = await this.observer.request(name, durations.sourceLeaseWaitMs);
    await this.readModel.catchUp();
    const source = await this.get(name);
    if (result.status !== 'observed')
      return { outcome: result.status === 'busy' ? 'busy' : 'failed', newCommits: 0, source };
    return {
      outcome: result.ok ? 'fetched' : 'failed',
      newCommits: result.recorded.filter((t) => t === 'CommitObserved').length,
      source,
    };
  }

  /** Operator, like adding: one SourceChanged naming the actor and the fields that changed (none: nothing recorded). */
  @Patch(':name')
  @RequireRole('operator')
  async update(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Source> {
    const input = parseInput(updateSourceSchema, body);
    await this.commands.execute(new UpdateSourceCommand(principal.actor, name, input));
    await this.readModel.catchUp();
    return this.get(name);
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
