import { Command } from 'commander';
import { cliVersion } from '../version';
import type { CommandContext } from './command-context';

/** `flotilla version`: the CLI's own version (the hub does not publish one yet). */
export function versionCommand(ctx: CommandContext): Command {
  return new Command('version')
    .description('print the version of this CLI')
    .action((_options: unknown, command: Command) => {
      const version = cliVersion();
      ctx.print(
        command,
        { cli: { version, node: process.versions.node } },
        () => `flotilla ${version} (node ${process.versions.node})\n`,
      );
    });
}
