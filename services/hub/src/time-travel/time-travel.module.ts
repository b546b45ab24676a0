import { Module } from '@nestjs/common';
import { TimeTravelController } from './time-travel.controller';
import { TimeTravelReadModel } from './time-travel.read-model';

@Module({
  controllers: [TimeTravelController],
  providers: [TimeTravelReadModel],
  exports: [TimeTravelReadModel],
})
export class TimeTravelModule {}
