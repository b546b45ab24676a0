import { formatLabelSelector } from '@flotilla/manifests';
import { Command } from 'commander';
import { applyLabelChanges, formatLabels, parseLabelChanges } from '../args/label-changes';
import { parseSelector } from '../args/selector';
import { NotFoundError, UsageError } from '../errors';
import type { Cluster, ClusterWithGroups, ItemList } from '@flotilla/api';
import type { HubClient } from '../hub/hub-client';
import { formatAge, stateColour } from '../output/format';
import { renderFields } from '../output/table';
import type { CommandContext } from './command-context';
import { joinCommand } from './join.command';

/** `flotilla clusters list|get|label|deregister|join`: clusters are named on the command line, addressed by id on the API. */
export function clustersCommand(ctx: CommandContext): Command {
  const clusters = new Command('clusters').alias('cluster').description('list, inspect, label and deregister clusters');

  clusters
    .command('list')
    .alias('ls')
    .description('list clusters')
    .option('-l, --selector <selector>', "only clusters whose labels match, e.g. 'env=prod,region in (eu,us)'")
    .option('-A, --all', 'include deregistered clusters')
    .action(async (options: { selector?: string; all?: boolean }, command: Command) => {
      // Parsed here too so that a syntax error is a usage error before any request; the hub
      // reads the same syntax with the same parser and filters.
      const selector = options.selector !== undefined ? parseSelector(options.selector) : undefined;
      const client = ctx.client(command);
      const { items: shown } = await client.get<ItemList<Cluster>>('/api/v1/clusters', {
        query: {
          selector: selector ? formatLabelSelector(selector) || undefined : undefined,
          includeDeregistered: options.all ? 'true' : undefined,
        },
      });
      if (shown.length === 0 && ctx.format(command) === 'table') {
        ctx.note(
          selector
            ? 'No clusters match the selector.'
            : 'No clusters registered yet: see `flotilla registration-tokens create` or `flotilla clusters join`.',
        );
        return;
      }
      ctx.print(command, shown, () => clusterTable(ctx, shown));
    });

  clusters
    .command('get')
    .description('show one cluster, with the cluster groups it belongs to')
    .argument('<cluster>', 'cluster name or id')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = ctx.client(command);
      const found = await resolveCluster(client, ref);
      const cluster = await client.get<ClusterWithGroups>(`/api/v1/clusters/${encodeURIComponent(found.id)}`, {
        subject: `cluster "${ref}"`,
      });
      ctx.print(command, cluster, () => describeCluster(ctx, cluster));
    });

  clusters
    .command('label')
    .description('set (key=value) or remove (key-) labels of a cluster')
    .argument('<cluster>', 'cluster name or id')
    .argument('<changes...>', 'key=value to set, key- to remove')
    .option('--overwrite', 'allow changing the value of an existing label')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla clusters label eu-1 env=prod region-\n  flotilla clusters label eu-1 env=staging --overwrite',
    )
    .action(async (ref: string, args: string[], options: { overwrite?: boolean }, command: Command) => {
      const changes = parseLabelChanges(args);
      const client = ctx.client(command);
      const cluster = await resolveCluster(client, ref, { liveOnly: true });
      const labels = applyLabelChanges(cluster.labels, changes, {
        overwrite: Boolean(options.overwrite),
        subject: `cluster ${cluster.name}`,
      });
      // A lost update is possible if two people label the same cluster at once: the hub replaces the set whole.
      const updated = await client.put<Cluster>(
        `/api/v1/clusters/${encodeURIComponent(cluster.id)}/labels`,
        { labels },
        { subject: `cluster "${ref}"` },
      );
      ctx.print(command, updated, () => `cluster ${updated.name} labeled: ${formatLabels(updated.labels)}\n`);
    });

  clusters
    .command('deregister')
    .description("deregister a cluster: revokes its agent's NATS credentials (admin)")
    .argument('<cluster>', 'cluster name or id')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = ctx.client(command);
      const cluster = await resolveCluster(client, ref, { liveOnly: true });
      const updated = await client.delete<Cluster>(`/api/v1/clusters/${encodeURIComponent(cluster.id)}`, {
        subject: `cluster "${ref}"`,
      });
      ctx.print(
        command,
        updated,
        () => `cluster ${updated.name} (${updated.id}) deregistered: its agent can no longer connect\n`,
      );
    });

  clusters.addCommand(joinCommand(ctx));

  return clusters;
}

/**
 * A cluster by id or name. Names are unique among live clusters; a deregistered cluster may
 * share its name with a newer one, so the live one wins and a tie asks for the id.
 */
export async function resolveCluster(
  client: HubClient,
  ref: string,
  options: { liveOnly?: boolean } = {},
): Promise<Cluster> {
  const { items } = await client.get<ItemList<Cluster>>('/api/v1/clusters', {
    query: { includeDeregistered: options.liveOnly ? undefined : 'true' },
  });
  return pickCluster(items, ref);
}

function pickCluster(items: readonly Cluster[], ref: string): Cluster {
  const byId = items.find((c) => c.id === ref);
  if (byId) return byId;
  const named = items.filter((c) => c.name === ref);
  const live = named.filter((c) => c.state !== 'deregistered');
  const candidates = live.length > 0 ? live : named;
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    throw new UsageError(
      `${candidates.length} clusters are named "${ref}" (${candidates.map((c) => c.id).join(', ')}): give the id`,
    );
  }
  throw new NotFoundError(
    `cluster "${ref}"`,
    'no cluster has that name or id (list them with `flotilla clusters list -A`)',
  );
}

function clusterTable(ctx: CommandContext, items: readonly Cluster[]): string {
  const now = ctx.now();
  return ctx.table(
    ['name', 'state', 'last seen', 'age', 'kubernetes', 'agent', 'labels'],
    items.map((c) => [
      c.name,
      c.state,
      c.lastSeenAt ? formatAge(c.lastSeenAt, now) : 'never',
      formatAge(c.registeredAt, now),
      c.kubernetesVersion,
      c.agentVersion,
      formatLabels(c.labels),
    ]),
    (row, column) => (column === 1 ? stateColour(items[row]!.state) : undefined),
  );
}

function describeCluster(ctx: CommandContext, c: ClusterWithGroups): string {
  const now = ctx.now();
  const when = (iso: string | null) => (iso ? `${iso} (${formatAge(iso, now)} ago)` : '-');
  return renderFields([
    ['name', c.name],
    ['id', c.id],
    ['state', c.state],
    ['state changed', when(c.stateChangedAt)],
    ['last seen', c.lastSeenAt ? when(c.lastSeenAt) : 'never'],
    ['registered', when(c.registeredAt)],
    ...(c.deregisteredAt ? ([['deregistered', when(c.deregisteredAt)]] as [string, string][]) : []),
    ['labels', formatLabels(c.labels)],
    ['groups', c.groups.length > 0 ? c.groups.join(', ') : '<none>'],
    ['kubernetes', c.kubernetesVersion],
    ['agent', c.agentVersion],
    ['public key', c.publicKey],
  ]);
}
