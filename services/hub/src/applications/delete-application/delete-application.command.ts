import { Command } from '@nestjs/cqrs';

/** Removes the application from every cluster it targets (pruned where its policy says prune); its history stays in the log. */
export class DeleteApplicationCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
  ) {
    super();
  }
}
