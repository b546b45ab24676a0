import { Command } from '@nestjs/cqrs';

export interface RegisterClusterResult {
  clusterId: string;
  name: string;
  labels: Record<string, string>;
}

/**
 * An agent asks to join with a registration token and its own public key. Executed by the
 * NATS registration responder through the CommandBus; refusals throw RegistrationRefusedError.
 */
export class RegisterClusterCommand extends Command<RegisterClusterResult> {
  constructor(
    readonly token: string,
    readonly name: string,
    readonly publicKey: string,
    readonly agentVersion: string,
    readonly kubernetesVersion: string,
    /** From discovery (group/version); empty when the agent reports none. */
    readonly apiVersions: readonly string[] = [],
  ) {
    super();
  }
}
