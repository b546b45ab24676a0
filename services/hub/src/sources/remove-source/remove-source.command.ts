import { Command } from '@nestjs/cqrs';

/** Stops watching the source; its history stays in the log. */
export class RemoveSourceCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
  ) {
    super();
  }
}
