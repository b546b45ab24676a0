import { Command } from '@nestjs/cqrs';

export type ApplyOutcome = 'created' | 'changed' | 'unchanged';

/**
 * Create or change the application `name` from its file: YAML text (as sent with
 * content-type application/yaml) or the parsed JSON body.
 */
export class ApplyApplicationCommand extends Command<{ outcome: ApplyOutcome; position: number }> {
  constructor(
    readonly actor: string,
    readonly name: string,
    readonly body: string | unknown,
  ) {
    super();
  }
}
