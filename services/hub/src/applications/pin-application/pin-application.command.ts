import { Command } from '@nestjs/cqrs';

/** Keeps the application on one commit (a rollback) until unpinned, whatever its file or branch say. */
export class PinApplicationCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
    readonly commit: string,
  ) {
    super();
  }
}
