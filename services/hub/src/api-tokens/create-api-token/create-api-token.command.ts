import { Command } from '@nestjs/cqrs';
import type { ApiRole } from '@flotilla/domain';

export interface CreateApiTokenResult {
  tokenId: string;
  name: string;
  role: ApiRole;
  /** Shown once; only its hash is stored. */
  token: string;
}

export class CreateApiTokenCommand extends Command<CreateApiTokenResult> {
  constructor(
    readonly actor: string,
    readonly name: string,
    readonly role: ApiRole,
  ) {
    super();
  }
}
