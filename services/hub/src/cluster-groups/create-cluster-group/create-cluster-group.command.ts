import { Command } from '@nestjs/cqrs';
import type { LabelSelector } from '@flotilla/domain';

export class CreateClusterGroupCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
    readonly selector: LabelSelector,
    readonly description: string | undefined,
  ) {
    super();
  }
}
