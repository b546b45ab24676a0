import { Command, CommanderError, Option } from 'commander';
import type { CliIo } from './cli-io';
import { apiTokensCommand } from './commands/api-tokens.command';
import { appsCommand } from './commands/apps.command';
import { auditCommand } from './commands/audit.command';
import { driftCommand } from './commands/drift.command';
import { historyCommand } from './commands/history.command';
import { stateCommand } from './commands/state.command';
import { clustersCommand } from './commands/clusters.command';
import { CommandContext, outputFormats } from './commands/command-context';
import { clusterGroupsCommand } from './commands/cluster-groups.command';
import { sourcesCommand } from './commands/sources.command';
import { loginCommand } from './commands/login.command';
import { registrationTokensCommand } from './commands/registration-tokens.command';
import { versionCommand } from './commands/version.command';
import { describeError } from './error-message';
import { cliVersion } from './version';
import { UsageError } from './errors';
import { colourEnabled, paint } from './output/format';

/**
 * The `flotilla` command tree. One noun per capability of the hub, each in its own
 * `<noun>.command.ts` returning a commander Command; a new capability (sources, apps,
 * history, drift, state, audit) is one more file and one more line below.
 * Exit codes: 0 ok, 1 error (hub, network, config), 2 usage.
 */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('flotilla')
    .description('GitOps for fleets of Kubernetes clusters: the hub from the command line')
    .addOption(new Option('--hub <url>', 'hub URL (or FLOTILLA_HUB_URL; `flotilla login` saves it)'))
    .addOption(new Option('--token <token>', 'API token (or FLOTILLA_TOKEN; `flotilla login` saves it)'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(outputFormats).default('table'))
    .addOption(
      new Option('--config <file>', 'config file (or FLOTILLA_CONFIG; default $XDG_CONFIG_HOME/flotilla/config.yaml)'),
    )
    .addCommand(loginCommand(ctx))
    .addCommand(clustersCommand(ctx))
    .addCommand(clusterGroupsCommand(ctx))
    .addCommand(registrationTokensCommand(ctx))
    .addCommand(apiTokensCommand(ctx))
    .addCommand(sourcesCommand(ctx))
    .addCommand(appsCommand(ctx))
    .addCommand(historyCommand(ctx))
    .addCommand(driftCommand(ctx))
    .addCommand(stateCommand(ctx))
    .addCommand(auditCommand(ctx))
    .addCommand(versionCommand(ctx))
    .addHelpText(
      'after',
      '\nGlobal options (--hub, --token, -o, --config) go anywhere on the line.\n' +
        'Start with: flotilla login --hub https://hub.example.com',
    );
  configureTree(program, ctx);
  // `flotilla help [command]` and `--version` as people expect of a CLI (git, kubectl, argocd).
  program
    .helpCommand('help [command]', 'show help for a command, e.g. `flotilla help apps`')
    .version(
      `flotilla ${cliVersion()} (node ${process.versions.node})`,
      '-V, --version',
      'print the version of this CLI',
    );
  return program;
}

/** Settings commander does not pass to commands built apart and added with addCommand. */
function configureTree(command: Command, ctx: CommandContext): void {
  const { io } = ctx;
  command
    .exitOverride()
    .showHelpAfterError()
    .showSuggestionAfterError()
    .helpCommand(false)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(paint(text, 'red', colourEnabled(io.stderr, io.env))),
      getOutHelpWidth: () => io.stdout.columns ?? 80,
      getErrHelpWidth: () => io.stderr.columns ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  for (const sub of command.commands) configureTree(sub, ctx);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Runs one command line; never throws, never exits the process: returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx = new CommandContext(io);
  const program = buildProgram(ctx);
  let active: Command = program;
  program.hook('preAction', (_root, actionCommand) => {
    active = actionCommand;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the message and the relevant help.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      return 2;
    }
    const report = describeError(err);
    const enabled = colourEnabled(io.stderr, io.env);
    io.stderr.write(`${paint('error:', 'red', enabled)} ${report.message}\n`);
    if (err instanceof UsageError) {
      const path = commandPath(active);
      io.stderr.write(`\nUsage: ${path} ${active.usage()}\nRun \`${path} --help\` for more.\n`);
    }
    return report.exitCode;
  }
}
