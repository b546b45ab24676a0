import { Command } from '@nestjs/cqrs';

export class ChangeClusterLabelsCommand extends Command<{ labels: Record<string, string>; position: number }> {
  constructor(
    readonly actor: string,
    readonly clusterId: string,
    readonly labels: Record<string, string>,
  ) {
    super();
  }
}
