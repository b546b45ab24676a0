import { Command, Option } from 'commander';
import type { HistoryEvent, HistoryPage } from '@flotilla/api';
import { parseDurationSeconds } from '../args/duration';
import { HubApiError, NotFoundError, UsageError } from '../errors';
import type { Cluster, ItemList } from '@flotilla/api';
import type { HubClient } from '../hub/hub-client';
import { durations } from '../durations';
import type { CommandContext } from './command-context';
import { resolveCluster } from './clusters.command';

const pageLimitDefault = 50;

/**
 * An instant from the command line: RFC 3339 (`2026-11-24T09:00:00Z`) or a duration back from
 * now (`90m`, `2h`, `7d`), as the hub takes absolute times only.
 */
export function parseTimeArg(text: string, flag: string, now: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = new Date(text);
    if (Number.isNaN(at.getTime()) || !/(Z|[+-]\d{2}:\d{2})$/i.test(text)) {
      throw new UsageError(
        `${flag} "${text}": expected an RFC 3339 time with a zone (2026-11-24T09:00:00Z) or a duration (2h)`,
      );
    }
    return at;
  }
  try {
    return new Date(now.getTime() - parseDurationSeconds(text, flag) * 1000);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(
      `${flag} "${text}": expected an RFC 3339 time with a zone (2026-11-24T09:00:00Z) or a duration (2h)`,
      { cause: err },
    );
  }
}

/** One line of detail per event type: what a person scanning the log wants to see. */
export function describeEvent(event: HistoryEvent, clusterNames: Map<string, string> = new Map()): string {
  const d = event.data;
  const short = (sha: unknown) => (typeof sha === 'string' ? sha.slice(0, 8) : '');
  const parts: string[] = [];
  if (typeof d.clusterId === 'string') parts.push(clusterNames.get(d.clusterId) ?? d.clusterId);
  if (typeof d.application === 'string') parts.push(d.application);
  else if (typeof d.name === 'string' && event.streamId.startsWith('application-')) parts.push(d.name);
  const resource = d.resource as { kind?: string; namespace?: string; name?: string } | undefined;
  if (resource?.kind)
    parts.push(`${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${resource.name}`);
  if (d.commit) parts.push(`@${short(d.commit)}`);
  if (d.sha) parts.push(`${short(d.sha)} ${typeof d.message === 'string' ? d.message.split('\n')[0] : ''}`.trim());
  if (event.type === 'DesiredStateAssigned' && Array.isArray(d.applications)) {
    parts.push(
      `revision ${d.revision}: ${(d.applications as Array<{ name: string; commit: string }>).map((a) => `${a.name}@${short(a.commit)}`).join(', ')}`,
    );
  }
  if (typeof d.status === 'string') parts.push(d.status);
  if (Array.isArray(d.fields) && d.fields.length > 0)
    parts.push((d.fields as Array<{ path: string }>).map((f) => f.path).join(','));
  if (typeof d.message === 'string' && !d.sha) parts.push(d.message);
  return parts.join(' ');
}

function historyTable(ctx: CommandContext, events: readonly HistoryEvent[], names: Map<string, string>): string {
  return ctx.table(
    ['time', 'type', 'actor', 'details'],
    events.map((e) => [
      e.recordedAt.replace(/\.\d{3}Z$/, 'Z'),
      e.type,
      actorName(e.metadata.actor, names),
      describeEvent(e, names),
    ]),
  );
}

/** `agent:<clusterId>` as `agent:<cluster name>`, like the details column (the log keeps the id: -o json). */
export function actorName(actor: string, names: Map<string, string>): string {
  if (!actor.startsWith('agent:')) return actor;
  const name = names.get(actor.slice('agent:'.length));
  return name ? `agent:${name}` : actor;
}

interface HistoryOptions {
  cluster?: string;
  group?: string;
  application?: string;
  source?: string;
  commit?: string;
  type?: string;
  actor?: string;
  since?: string;
  until?: string;
  oldestFirst?: boolean;
  limit: string;
  follow?: boolean;
}

/** `flotilla history`: who changed what, which commit reached which cluster, when; `--follow` tails the log. */
export function historyCommand(ctx: CommandContext): Command {
  return new Command('history')
    .description('the event log: what happened, where, when and by whom (newest first)')
    .option('--cluster <cluster>', 'cluster name or id')
    .option('--group <group>', "a cluster group: its members' events")
    .option('--application <application>', 'an application')
    .option('--source <source>', 'a git source')
    .option('--commit <sha>', 'a commit (full sha or a unique prefix)')
    .option('--type <types>', 'event types, comma-separated (e.g. SyncFailed,DriftDetected)')
    .option('--actor <actor>', 'who: token:<name>, agent:<clusterId>, system:<part>')
    .option('--since <time>', 'from this time: RFC 3339 or a duration back from now (2h, 7d)')
    .option('--until <time>', 'before this time: RFC 3339 or a duration back from now')
    .option('--oldest-first', 'oldest events first')
    .addOption(new Option('--limit <n>', 'events to show (1-1000)').default(String(pageLimitDefault)))
    .option('-f, --follow', 'keep printing new events as they are recorded (Ctrl-C stops)')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla history --cluster eu-1 --since 24h\n  flotilla history --application web --type SyncFailed\n' +
        '  flotilla history --commit 4f9c2e1 --oldest-first\n  flotilla history --group prod --follow',
    )
    .action(async (options: HistoryOptions, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new UsageError(`--limit "${options.limit}": expected a whole number from 1 to 1000`);
      }
      if (options.follow && options.until) throw new UsageError('--follow and --until do not go together');
      const client = ctx.client(command);
      const now = ctx.now();
      const cluster = options.cluster ? await resolveCluster(client, options.cluster) : undefined;
      // Every line names its cluster the same way, whatever the filter: by name (ids in -o json/yaml).
      const names = new Map<string, string>(cluster ? [[cluster.id, cluster.name]] : []);
      if (ctx.format(command) === 'table') {
        const { items } = await client.get<ItemList<Cluster>>('/api/v1/clusters', {
          query: { includeDeregistered: 'true' },
        });
        for (const c of items) names.set(c.id, c.name);
      }
      const query: Record<string, string | undefined> = {
        cluster: cluster?.id,
        group: options.group,
        application: options.application,
        source: options.source,
        commit: options.commit,
        type: options.type,
        actor: options.actor,
        since: options.since ? parseTimeArg(options.since, '--since', now).toISOString() : undefined,
        until: options.until ? parseTimeArg(options.until, '--until', now).toISOString() : undefined,
      };
      const page = await client.get<HistoryPage>('/api/v1/history', {
        query: { ...query, order: options.oldestFirst ? 'oldest' : 'newest', limit: String(limit) },
        subject: options.group ? `cluster group "${options.group}"` : undefined,
      });
      // Following prints in the order things happened, so the newest line is always the last.
      const first = options.follow && !options.oldestFirst ? [...page.items].reverse() : page.items;
      if (
        first.length === 0 &&
        options.application !== undefined &&
        !(await applicationExists(client, options.application))
      ) {
        // A deleted application keeps its history; one that never existed is a typo to point out.
        throw new NotFoundError(
          `application "${options.application}"`,
          'it does not exist and has no history (list them with `flotilla apps list`)',
        );
      }
      if (first.length === 0 && ctx.format(command) === 'table' && !options.follow) {
        ctx.note('No events match.');
        return;
      }
      if (ctx.format(command) === 'table') {
        if (first.length > 0) ctx.io.stdout.write(historyTable(ctx, first, names));
        if (!options.follow && page.nextCursor !== null) {
          ctx.note(`(showing ${page.items.length}; narrow with --since/--until, or raise --limit)`);
        }
      } else if (!options.follow) {
        ctx.print(command, page.items, () => '');
      } else {
        for (const event of first) ctx.io.stdout.write(`${JSON.stringify(event)}\n`);
      }
      if (!options.follow) return;
      await follow(ctx, command, client, query, names, Math.max(0, ...page.items.map((e) => e.position)));
    });
}

async function applicationExists(client: HubClient, name: string): Promise<boolean> {
  try {
    await client.get(`/api/v1/applications/${encodeURIComponent(name)}`, { subject: `application "${name}"` });
    return true;
  } catch (err) {
    if (err instanceof HubApiError && err.status === 404) return false;
    throw err;
  }
}

/** Polls with the position cursor until SIGINT; -o json/yaml prints one JSON event per line. */
async function follow(
  ctx: CommandContext,
  command: Command,
  client: HubClient,
  query: Record<string, string | undefined>,
  names: Map<string, string>,
  after: number,
): Promise<void> {
  let cursor = after;
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  try {
    while (!stopped) {
      const page = await client.get<HistoryPage>('/api/v1/history', {
        query: { ...query, order: 'oldest', cursor: String(cursor), limit: '1000' },
      });
      if (page.items.length > 0) {
        cursor = page.items.at(-1)!.position;
        if (ctx.format(command) === 'table') {
          // Each batch is its own table: widths cannot be known ahead of events not yet recorded.
          ctx.io.stdout.write(historyTable(ctx, page.items, names).split('\n').slice(1).join('\n'));
        } else {
          for (const event of page.items) ctx.io.stdout.write(`${JSON.stringify(event)}\n`);
        }
      }
      if (page.nextCursor !== null) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, durations.followPollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
}
