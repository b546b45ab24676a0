import { Command } from '@nestjs/cqrs';

export interface CreateRegistrationTokenResult {
  tokenId: string;
  /** The only time the token value exists outside the caller: shown once, never stored. */
  token: string;
  expiresAt: string;
  labels: Record<string, string>;
  position: number;
}

export class CreateRegistrationTokenCommand extends Command<CreateRegistrationTokenResult> {
  constructor(
    readonly actor: string,
    readonly labels: Record<string, string>,
    readonly ttlMs: number,
  ) {
    super();
  }
}
