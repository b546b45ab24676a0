import { Module } from '@nestjs/common';
import { HistoryController } from './history.controller';
import { HistoryReadModel } from './history.read-model';

@Module({
  controllers: [HistoryController],
  providers: [HistoryReadModel],
  exports: [HistoryReadModel],
})
export class HistoryModule {}
