import { Command } from '@nestjs/cqrs';

export interface AddSourceInput {
  name: string;
  url: string;
  branch?: string;
  pollIntervalSeconds?: number;
  credentialsRef?: string;
  webhookSecretRef?: string;
}

export class AddSourceCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly input: AddSourceInput,
  ) {
    super();
  }
}
