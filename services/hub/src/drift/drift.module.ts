import { Module } from '@nestjs/common';
import { DriftController } from './drift.controller';
import { DriftReadModel } from './drift.read-model';

@Module({
  controllers: [DriftController],
  providers: [DriftReadModel],
  exports: [DriftReadModel],
})
export class DriftModule {}
