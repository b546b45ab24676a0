import { Command } from '@nestjs/cqrs';

/** Apply the application now (on every cluster it targets, or on one), without waiting for the next change. */
export class RequestSyncCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
    readonly clusterId?: string,
  ) {
    super();
  }
}
