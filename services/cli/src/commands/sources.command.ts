import { Command } from 'commander';
import type { ItemList, Source } from '@flotilla/api';
import { parseDurationSeconds } from '../args/duration';
import { SourceFetchFailedError, UsageError } from '../errors';
import { formatAge, type Colour } from '../output/format';
import { renderFields } from '../output/table';
import type { CommandContext } from './command-context';

const statusColour = (status: string): Colour | undefined =>
  status === 'ok' ? 'green' : status === 'failing' ? 'red' : status === 'pending' ? 'yellow' : undefined;

/** Whole seconds as the shortest duration flag that gives them back (`60s` -> `1m`). */
export function formatSeconds(seconds: number): string {
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = seconds;
  let out = '';
  for (const [unit, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || '0s';
}

/** `flotilla sources add|list|get|refresh|remove`: the git repositories (one branch each) the hub watches. */
export function sourcesCommand(ctx: CommandContext): Command {
  const sources = new Command('sources')
    .alias('source')
    .description('git sources: the repositories and branches the hub watches for commits');
  const subject = (name: string) => `source "${name}"`;
  const path = (name: string) => `/api/v1/sources/${encodeURIComponent(name)}`;

  sources
    .command('add')
    .description('add a git source: the hub mirrors it and records each new commit')
    .argument('<name>', 'source name (DNS label): applications name it in spec.source')
    .requiredOption('--url <url>', 'https://, ssh:// (or user@host:path) or file:// URL, without credentials')
    .option('--branch <branch>', "branch to follow (default: the hub's, main)")
    .option('--interval <duration>', "how often the hub polls, e.g. 30s, 5m (default: the hub's, 60s)")
    .option('--credentials-ref <ref>', "file in the hub's FLOTILLA_HUB_GIT_CREDENTIALS_DIR: user:token, or an ssh key")
    .option(
      '--webhook-secret-ref <ref>',
      "file in the hub's FLOTILLA_HUB_GIT_CREDENTIALS_DIR holding the webhook secret",
    )
    .addHelpText(
      'after',
      "\nSecrets never go on the command line or into the hub's log: only the names of files the hub can read.\n" +
        'Example:\n  flotilla sources add platform --url https://github.com/acme/platform.git --interval 2m',
    )
    .action(
      async (
        name: string,
        options: {
          url: string;
          branch?: string;
          interval?: string;
          credentialsRef?: string;
          webhookSecretRef?: string;
        },
        command: Command,
      ) => {
        const pollIntervalSeconds =
          options.interval !== undefined ? parseDurationSeconds(options.interval, '--interval') : undefined;
        const source = await ctx.client(command).post<Source>(
          '/api/v1/sources',
          {
            name,
            url: options.url,
            ...(options.branch !== undefined ? { branch: options.branch } : {}),
            ...(pollIntervalSeconds !== undefined ? { pollIntervalSeconds } : {}),
            ...(options.credentialsRef !== undefined ? { credentialsRef: options.credentialsRef } : {}),
            ...(options.webhookSecretRef !== undefined ? { webhookSecretRef: options.webhookSecretRef } : {}),
          },
          { subject: subject(name) },
        );
        ctx.print(command, source, () => {
          const lines = [
            `source ${source.name} added: ${source.url} (${source.branch}), polled every ${formatSeconds(source.pollIntervalSeconds)}`,
          ];
          if (source.webhookPath) lines.push(`git hosts deliver push events to <hub>${source.webhookPath}`);
          return `${lines.join('\n')}\n`;
        });
      },
    );

  sources
    .command('list')
    .alias('ls')
    .description('list git sources with their fetch state and last commit')
    .action(async (_options: unknown, command: Command) => {
      const { items } = await ctx.client(command).get<ItemList<Source>>('/api/v1/sources');
      if (items.length === 0 && ctx.format(command) === 'table') {
        ctx.note('No sources yet: see `flotilla sources add --help`.');
        return;
      }
      const now = ctx.now();
      ctx.print(command, items, () =>
        ctx.table(
          ['name', 'status', 'branch', 'commit', 'observed', 'interval', 'url'],
          items.map((s) => [
            s.name,
            s.status,
            s.branch,
            s.lastObservedCommit ? s.lastObservedCommit.sha.slice(0, 12) : '-',
            s.lastObservedCommit?.observedAt ? formatAge(s.lastObservedCommit.observedAt, now) : '-',
            formatSeconds(s.pollIntervalSeconds),
            s.url,
          ]),
          (row, column) => (column === 1 ? statusColour(items[row]!.status) : undefined),
        ),
      );
    });

  sources
    .command('get')
    .description('show a git source: fetch state, last error, last observed commit')
    .argument('<name>', 'source name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const source = await ctx.client(command).get<Source>(path(name), { subject: subject(name) });
      ctx.print(command, source, () => describeSource(ctx, source));
    });

  sources
    .command('refresh')
    .description('fetch a source now instead of at its next poll (for remotes that send no webhook)')
    .argument('<name>', 'source name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const result = await ctx.client(command).post<{
        outcome: 'fetched' | 'failed' | 'busy';
        newCommits: number;
        source: Source;
      }>(`${path(name)}/refresh`, undefined, { subject: subject(name) });
      const head = result.source.lastObservedCommit?.sha.slice(0, 12) ?? 'no commit';
      if (result.outcome === 'failed') {
        throw new SourceFetchFailedError(
          `source ${name}: the fetch failed: ${result.source.lastError ?? 'see flotilla sources get'}`,
        );
      }
      ctx.print(command, result, () =>
        result.outcome === 'busy'
          ? `source ${name}: another hub replica is fetching it now (at ${head})\n`
          : `source ${name} fetched: at ${head}, ${result.newCommits} new commit${result.newCommits === 1 ? '' : 's'}\n`,
      );
    });

  sources
    .command('update')
    .description('change a source: branch, poll interval, credentials or webhook secret (recorded with you as actor)')
    .argument('<name>', 'source name')
    .option('--branch <branch>', 'branch to follow from now on')
    .option('--interval <duration>', 'how often the hub polls, e.g. 30s, 5m')
    .option('--credentials-ref <ref>', "file in the hub's FLOTILLA_HUB_GIT_CREDENTIALS_DIR")
    .option('--no-credentials-ref', 'stop using credentials')
    .option(
      '--webhook-secret-ref <ref>',
      "file in the hub's FLOTILLA_HUB_GIT_CREDENTIALS_DIR holding the webhook secret",
    )
    .option('--no-webhook-secret-ref', 'turn the webhook off')
    .addHelpText(
      'after',
      '\nThe URL cannot change: a new URL is a new source. Options left out stay as they are.\n' +
        'Example:\n  flotilla sources update platform --webhook-secret-ref github-hook',
    )
    .action(
      async (
        name: string,
        options: {
          branch?: string;
          interval?: string;
          credentialsRef?: string | false;
          webhookSecretRef?: string | false;
        },
        command: Command,
      ) => {
        const pollIntervalSeconds =
          options.interval !== undefined ? parseDurationSeconds(options.interval, '--interval') : undefined;
        // Commander gives `false` for --no-X, and for nothing at all when a --no-X option exists: tell them apart.
        const given = (flag: string) => command.getOptionValueSource(flag) === 'cli';
        const body = {
          ...(options.branch !== undefined ? { branch: options.branch } : {}),
          ...(pollIntervalSeconds !== undefined ? { pollIntervalSeconds } : {}),
          ...(given('credentialsRef') ? { credentialsRef: options.credentialsRef || null } : {}),
          ...(given('webhookSecretRef') ? { webhookSecretRef: options.webhookSecretRef || null } : {}),
        };
        if (Object.keys(body).length === 0)
          throw new UsageError(
            'nothing to change: give --branch, --interval, --credentials-ref or --webhook-secret-ref',
          );
        const before = await ctx.client(command).get<Source>(path(name), { subject: subject(name) });
        const source = await ctx.client(command).patch<Source>(path(name), body, { subject: subject(name) });
        const changes = (
          [
            ['branch', before.branch, source.branch],
            ['interval', formatSeconds(before.pollIntervalSeconds), formatSeconds(source.pollIntervalSeconds)],
            ['credentials', before.credentialsRef ?? 'none', source.credentialsRef ?? 'none'],
            ['webhook secret', before.webhookSecretRef ?? 'none', source.webhookSecretRef ?? 'none'],
          ] as const
        ).filter(([, a, b]) => a !== b);
        ctx.print(command, source, () =>
          changes.length === 0
            ? `source ${name} unchanged\n`
            : `source ${name} updated: ${changes.map(([what, a, b]) => `${what} ${a} -> ${b}`).join(', ')}\n`,
        );
      },
    );

  sources
    .command('remove')
    .alias('rm')
    .description('stop watching a source (its history stays in the log)')
    .argument('<name>', 'source name')
    .action(async (name: string, _options: unknown, command: Command) => {
      await ctx.client(command).delete(path(name), { subject: subject(name) });
      ctx.print(command, { name, removed: true }, () => `source ${name} removed\n`);
    });

  return sources;
}

function describeSource(ctx: CommandContext, s: Source): string {
  const now = ctx.now();
  const when = (iso: string | null) => (iso ? `${iso} (${formatAge(iso, now)} ago)` : '-');
  const commit = s.lastObservedCommit;
  const fields: [string, string][] = [
    ['name', s.name],
    ['url', s.url],
    ['branch', s.branch],
    ['interval', formatSeconds(s.pollIntervalSeconds)],
    ['status', s.failingSince ? `${s.status} since ${when(s.failingSince)}` : s.status],
  ];
  if (s.lastError) fields.push(['last error', s.lastError]);
  fields.push(['last commit', commit ? `${commit.sha}${commit.author ? ` by ${commit.author}` : ''}` : '-']);
  if (commit?.message) fields.push(['message', commit.message.split('\n')[0]!]);
  if (commit?.observedAt) fields.push(['observed', when(commit.observedAt)]);
  if (s.historyRewrittenAt) fields.push(['history rewritten', when(s.historyRewrittenAt)]);
  fields.push(['credentials', s.credentialsRef ?? '-']);
  fields.push(['webhook', s.webhookPath ? `${s.webhookPath} (secret ${s.webhookSecretRef})` : '-']);
  if (s.webhookRejections > 0)
    fields.push(['webhook rejections', `${s.webhookRejections} (last: ${s.lastWebhookRejection ?? '-'})`]);
  fields.push(['added', `${when(s.addedAt)} by ${s.addedBy}`]);
  return renderFields(fields);
}
