import { Command } from 'commander';
import { parseDurationSeconds } from '../args/duration';
import { formatLabels, parseKeyValues } from '../args/label-changes';
import type { RegistrationToken } from '@flotilla/api';
import type { CommandContext } from './command-context';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `flotilla registration-tokens create`: one-time tokens with which an agent registers its
 * cluster. Not API tokens (`flotilla api-tokens`), which people and automation call the hub with.
 */
export function registrationTokensCommand(ctx: CommandContext): Command {
  const tokens = new Command('registration-tokens')
    .alias('registration-token')
    .description('registration tokens for new clusters');

  tokens
    .command('create')
    .description('create a one-time registration token (shown once) and print how to start the agent with it')
    .option('--ttl <duration>', "lifetime, e.g. 30m, 1h, 7d (the hub caps it; default: the hub's, 1h)")
    .option('--label <key=value>', 'label for the cluster that registers with it (repeatable)', collect)
    .action(async (options: { ttl?: string; label?: string[] }, command: Command) => {
      const labels = parseKeyValues(options.label ?? [], '--label');
      const ttlSeconds = options.ttl !== undefined ? parseDurationSeconds(options.ttl, '--ttl') : undefined;
      const created = await ctx.client(command).post<RegistrationToken>('/api/v1/registration-tokens', {
        labels,
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      });
      ctx.print(command, created, () => agentInstructions(created));
    });

  return tokens;
}

/** The token, once, and the agent's start command with it (the agent's own flags and variables). */
export function agentInstructions(t: RegistrationToken): string {
  const lines = [
    `Registration token ${t.tokenId} (single use, expires ${t.expiresAt}; it is not shown again):`,
    '',
    `  ${t.token}`,
    '',
    `Labels for the cluster: ${formatLabels(t.labels)}`,
    '',
  ];
  if (t.bootstrapCreds) {
    lines.push(
      'Bootstrap NATS credentials (they only allow sending a registration request); save them as bootstrap.creds:',
      '',
      t.bootstrapCreds.trimEnd(),
      '',
    );
  }
  lines.push(
    'Start the agent with it (the token goes in the environment, not in a flag that `ps` shows):',
    '',
    `  FLOTILLA_AGENT_TOKEN='${t.token}' \\`,
    '  FLOTILLA_AGENT_CLUSTER_NAME=<cluster-name> \\',
    '  FLOTILLA_AGENT_NATS_URL=nats://<nats-host>:4222 \\',
    ...(t.bootstrapCreds ? ['  FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE=bootstrap.creds \\'] : []),
    '  npm run agent -- --in-cluster',
    '',
    'Use --in-cluster in a pod, --kubeconfig PATH from outside the cluster, or --credentials-file PATH without Kubernetes.',
    '',
  );
  return lines.join('\n');
}
