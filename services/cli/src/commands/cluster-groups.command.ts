import { Command } from 'commander';
import { formatLabels } from '../args/label-changes';
import { formatSelector, parseSelector } from '../args/selector';
import type { ClusterGroup, ItemList } from '@flotilla/api';
import { formatAge, stateColour } from '../output/format';
import { renderFields } from '../output/table';
import type { CommandContext } from './command-context';

/** `flotilla cluster-groups list|get|create|delete`: cluster groups are named label selectors. */
export function clusterGroupsCommand(ctx: CommandContext): Command {
  const groups = new Command('cluster-groups')
    .alias('cluster-group')
    .description('cluster groups: named label selectors over clusters');
  const subject = (name: string) => `cluster group "${name}"`;
  const path = (name: string) => `/api/v1/cluster-groups/${encodeURIComponent(name)}`;

  groups
    .command('list')
    .alias('ls')
    .description('list cluster groups with their member counts')
    .action(async (_options: unknown, command: Command) => {
      const { items } = await ctx.client(command).get<ItemList<ClusterGroup>>('/api/v1/cluster-groups');
      if (items.length === 0 && ctx.format(command) === 'table') {
        ctx.note('No cluster groups yet: see `flotilla cluster-groups create --help`.');
        return;
      }
      const now = ctx.now();
      ctx.print(command, items, () =>
        ctx.table(
          ['name', 'selector', 'clusters', 'age', 'description'],
          items.map((g) => [
            g.name,
            formatSelector(g.selector),
            String(g.members.length),
            formatAge(g.createdAt, now),
            g.description,
          ]),
        ),
      );
    });

  groups
    .command('get')
    .description('show a cluster group and the clusters it selects now')
    .argument('<name>', 'cluster group name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const group = await ctx.client(command).get<ClusterGroup>(path(name), { subject: subject(name) });
      ctx.print(command, group, () => describeGroup(ctx, group));
    });

  groups
    .command('create')
    .description('create a cluster group')
    .argument('<name>', 'cluster group name (DNS label)')
    .requiredOption('--selector <selector>', "label selector, e.g. 'env=prod,region in (eu,us)'")
    .option('--description <text>', 'what the group is for')
    .addHelpText(
      'after',
      "\nSelector syntax (kubectl's): key=value, key!=value, key in (a,b), key notin (a,b), key, !key; comma = and.\n" +
        "Example:\n  flotilla cluster-groups create prod-eu --selector 'env=prod,region in (eu-west,eu-central)'",
    )
    .action(async (name: string, options: { selector: string; description?: string }, command: Command) => {
      const selector = parseSelector(options.selector);
      const group = await ctx
        .client(command)
        .post<ClusterGroup>(
          '/api/v1/cluster-groups',
          { name, selector, ...(options.description !== undefined ? { description: options.description } : {}) },
          { subject: subject(name) },
        );
      ctx.print(
        command,
        group,
        () => `cluster group ${group.name} created: selects ${group.members.length} cluster(s) now\n`,
      );
    });

  groups
    .command('delete')
    .alias('rm')
    .description('delete a cluster group (its clusters stay registered)')
    .argument('<name>', 'cluster group name')
    .action(async (name: string, _options: unknown, command: Command) => {
      await ctx.client(command).delete(path(name), { subject: subject(name) });
      ctx.print(command, { name, deleted: true }, () => `cluster group ${name} deleted\n`);
    });

  return groups;
}

function describeGroup(ctx: CommandContext, g: ClusterGroup): string {
  const now = ctx.now();
  const head = renderFields([
    ['name', g.name],
    ['selector', formatSelector(g.selector)],
    ['description', g.description || '-'],
    ['created', `${g.createdAt} (${formatAge(g.createdAt, now)} ago) by ${g.createdBy}`],
    ['clusters', String(g.members.length)],
  ]);
  if (g.members.length === 0) return head;
  const members = ctx.table(
    ['cluster', 'state', 'labels'],
    g.members.map((m) => [m.name, m.state, m.labels ? formatLabels(m.labels) : '']),
    (row, column) => (column === 1 ? stateColour(g.members[row]!.state) : undefined),
  );
  return `${head}\n${members}`;
}
