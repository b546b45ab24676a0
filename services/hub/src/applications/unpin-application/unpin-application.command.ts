import { Command } from '@nestjs/cqrs';

/** Ends an operator's pin: the application follows its file's pin, or else its branch, again. */
export class UnpinApplicationCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
  ) {
    super();
  }
}
