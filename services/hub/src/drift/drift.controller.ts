import { Controller, Get, Query } from '@nestjs/common';
import { parseInput } from '../common/validation';
import { DriftReadModel } from './drift.read-model';
import { driftHistoryQuerySchema, driftQuerySchema, type DriftEpisodes, type DriftNow } from '@flotilla/api';

/** Which clusters differ from git now (GET /drift), and every drift episode over a period (GET /drift/history). */
@Controller('api/v1/drift')
export class DriftController {
  constructor(private readonly drift: DriftReadModel) {}

  @Get()
  async now(@Query() query: unknown): Promise<DriftNow> {
    return this.drift.now(parseInput(driftQuerySchema, query));
  }

  @Get('history')
  async history(@Query() query: unknown): Promise<DriftEpisodes> {
    return this.drift.episodes(parseInput(driftHistoryQuerySchema, query));
  }
}
