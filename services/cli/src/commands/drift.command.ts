import { Command } from 'commander';
import type { DriftEpisodes, DriftItem, DriftNow, ResourceRef } from '@flotilla/api';
import { formatAge } from '../output/format';
import type { CommandContext } from './command-context';
import { resolveCluster } from './clusters.command';
import { parseTimeArg } from './history.command';

const resourceText = (r: ResourceRef) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
const fieldsText = (item: Pick<DriftItem, 'reason' | 'fields'>) =>
  item.reason === 'missing' ? '(missing)' : item.fields.map((f) => f.path).join(', ');

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7_200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${(s / 3_600).toFixed(1)}h`;
  return `${(s / 86_400).toFixed(1)}d`;
}

/** `flotilla drift`: which clusters differ from git now; `--since 24h`: every drift episode of the period. */
export function driftCommand(ctx: CommandContext): Command {
  return new Command('drift')
    .description('clusters that differ from git now, per application and resource; --since: drift episodes over time')
    .option('--application <application>', 'one application')
    .option('--group <group>', "a cluster group's members")
    .option('--cluster <cluster>', 'cluster name or id')
    .option('--since <time>', 'episodes since: RFC 3339 or a duration back from now (24h, 7d)')
    .option('--until <time>', 'episodes detected before this time (with --since)')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla drift\n  flotilla drift --application web --group prod\n  flotilla drift --since 24h',
    )
    .action(
      async (
        options: { application?: string; group?: string; cluster?: string; since?: string; until?: string },
        command: Command,
      ) => {
        const client = ctx.client(command);
        const now = ctx.now();
        const cluster = options.cluster ? await resolveCluster(client, options.cluster) : undefined;
        const query = { application: options.application, group: options.group, cluster: cluster?.id };
        const subject = options.group ? `cluster group "${options.group}"` : undefined;
        if (options.since === undefined && options.until === undefined) {
          const drift = await client.get<DriftNow>('/api/v1/drift', { query, subject });
          if (ctx.format(command) !== 'table') return ctx.print(command, drift, () => '');
          if (drift.items.length === 0) {
            ctx.note('No drift: every cluster matches git.');
            return;
          }
          ctx.io.stdout.write(
            ctx.table(
              ['cluster', 'application', 'resource', 'fields', 'since', 'correction'],
              drift.items.map((d) => [
                d.clusterName ?? d.clusterId,
                d.application,
                resourceText(d.resource),
                fieldsText(d),
                formatAge(d.since, now),
                d.mode === 'correct' ? 'on' : 'off',
              ]),
              (_row, column) => (column === 3 ? 'yellow' : undefined),
            ),
          );
          ctx.note(
            `${drift.summary.resources} drifted resource(s) in ${drift.summary.clusters} cluster(s): ` +
              drift.summary.applications.map((a) => `${a.application} ${a.clusters} cluster(s)`).join(', '),
          );
          return;
        }
        const episodes = await client.get<DriftEpisodes>('/api/v1/drift/history', {
          query: {
            ...query,
            since: options.since ? parseTimeArg(options.since, '--since', now).toISOString() : undefined,
            until: options.until ? parseTimeArg(options.until, '--until', now).toISOString() : undefined,
            limit: '5000',
          },
          subject,
        });
        if (ctx.format(command) !== 'table') return ctx.print(command, episodes, () => '');
        if (episodes.items.length === 0) {
          ctx.note('No drift in that period.');
          return;
        }
        ctx.io.stdout.write(
          ctx.table(
            ['cluster', 'application', 'resource', 'detected', 'ended', 'duration', 'fields'],
            episodes.items.map((e) => [
              e.clusterName ?? e.clusterId,
              e.application,
              resourceText(e.resource),
              e.detectedAt.replace(/\.\d{3}Z$/, 'Z'),
              e.endReason ?? 'open',
              e.durationMs === null
                ? `${formatDuration(now.getTime() - new Date(e.detectedAt).getTime())}+`
                : formatDuration(e.durationMs),
              fieldsText(e),
            ]),
          ),
        );
        const ended = Object.entries(episodes.summary.ended).map(([how, n]) => `${n} ${how}`);
        ctx.note(
          `${episodes.summary.episodes} episode(s), ${episodes.summary.open} still open${ended.length > 0 ? `; ${ended.join(', ')}` : ''}` +
            (episodes.nextCursor !== null
              ? ` (showing the newest ${episodes.items.length}: -o json pages with the API)`
              : ''),
        );
      },
    );
}
