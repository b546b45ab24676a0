import { Controller, Get, Query } from '@nestjs/common';
import { parseInput } from '../common/validation';
import { DriftReadModel, type DriftEpisodesView, type DriftNowView } from './drift.read-model';
import { driftHistoryQuerySchema, driftQuerySchema } from '@flotilla/api';

/** Which clusters differ from git now (GET /drift), and every drift episode over a period (GET /drift/history). */
@Controller('api/v1/drift')
export class DriftController {
  constructor(private readonly drift: DriftReadModel) {}

  @Get()
  async now(@Query() query: unknown): Promise<DriftNowView> {
    return this.drift.now(parseInput(driftQuerySchema, query));
  }

  @Get('history')
  async history(@Query() query: unknown): Promise<DriftEpisodesView> {
    return this.drift.episodes(parseInput(driftHistoryQuerySchema, query));
  }
}
