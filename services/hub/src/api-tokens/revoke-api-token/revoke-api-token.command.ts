import { Command } from '@nestjs/cqrs';

export class RevokeApiTokenCommand extends Command<void> {
  constructor(
    readonly actor: string,
    readonly tokenId: string,
  ) {
    super();
  }
}
