import { Command } from '@nestjs/cqrs';

export class DeleteClusterGroupCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
  ) {
    super();
  }
}
