import { Command } from '@nestjs/cqrs';
import type { ObjectPolicy } from '@flotilla/manifests';

/** An admin says what an application may create (allowed namespaces and kinds). */
export class SetApplicationPolicyCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly application: string,
    readonly policy: ObjectPolicy,
  ) {
    super();
  }
}
