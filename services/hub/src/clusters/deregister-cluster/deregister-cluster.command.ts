import { Command } from '@nestjs/cqrs';

/** Revokes the cluster's NATS credentials (the NATS side follows ClusterDeregistered) and frees its name. */
export class DeregisterClusterCommand extends Command<{ position: number }> {
  constructor(
    readonly actor: string,
    readonly clusterId: string,
  ) {
    super();
  }
}
