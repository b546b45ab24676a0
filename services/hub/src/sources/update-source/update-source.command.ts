import { Command } from '@nestjs/cqrs';

/** Absent fields stay; `null` clears a reference. */
export interface UpdateSourceInput {
  branch?: string;
  pollIntervalSeconds?: number;
  credentialsRef?: string | null;
  webhookSecretRef?: string | null;
}

export class UpdateSourceCommand extends Command<{ changed: string[] }> {
  constructor(
    readonly actor: string,
    readonly name: string,
    readonly input: UpdateSourceInput,
  ) {
    super();
  }
}
