import { Command } from 'commander';
import type { ClusterStateAt } from '@flotilla/api';
import { renderFields } from '../output/table';
import type { CommandContext } from './command-context';
import { resolveCluster } from './clusters.command';
import { parseTimeArg } from './history.command';

const short = (text: string | undefined, n: number) => (text ? text.replace(/^sha256:/, '').slice(0, n) : '-');

/** `flotilla state CLUSTER --at TIME`: what the cluster was meant to run and had applied then. */
export function stateCommand(ctx: CommandContext): Command {
  return new Command('state')
    .description('what a cluster was meant to run and had applied at a moment (default now)')
    .argument('<cluster>', 'cluster name or id')
    .option('--at <time>', 'RFC 3339, or a duration back from now (2h, 3d)')
    .addHelpText('after', '\nExamples:\n  flotilla state eu-1 --at 2026-11-24T09:00:00Z\n  flotilla state eu-1 --at 2h')
    .action(async (ref: string, options: { at?: string }, command: Command) => {
      const client = ctx.client(command);
      const at = options.at ? parseTimeArg(options.at, '--at', ctx.now()) : ctx.now();
      const cluster = await resolveCluster(client, ref);
      const state = await client.get<ClusterStateAt>(`/api/v1/clusters/${encodeURIComponent(cluster.id)}/state`, {
        query: { at: at.toISOString() },
        subject: `cluster "${ref}"`,
      });
      ctx.print(command, state, () => {
        const head = renderFields([
          ['cluster', `${state.clusterName} (${state.clusterId})`],
          ['at', state.at],
          [
            'desired',
            state.desired
              ? `revision ${state.desired.revision}, assigned ${state.desired.assignedAt}`
              : 'nothing assigned yet',
          ],
        ]);
        const applied = new Map(state.applied.map((a) => [a.application, a]));
        const names = [
          ...new Set([...(state.desired?.applications.map((a) => a.name) ?? []), ...applied.keys()]),
        ].sort();
        if (names.length === 0) return head;
        const desired = new Map(state.desired?.applications.map((a) => [a.name, a]) ?? []);
        return (
          head +
          '\n' +
          ctx.table(
            ['application', 'desired commit', 'desired bundle', 'applied commit', 'applied bundle', 'synced', 'state'],
            names.map((name) => {
              const d = desired.get(name);
              const a = applied.get(name);
              const status = !d
                ? 'to remove'
                : !a
                  ? 'not applied'
                  : a.bundleDigest === d.bundleDigest
                    ? 'in sync'
                    : 'behind';
              return [
                name,
                short(d?.commit, 8),
                short(d?.bundleDigest, 12),
                short(a?.commit, 8),
                short(a?.bundleDigest, 12),
                a?.syncedAt ?? '-',
                status,
              ];
            }),
            (row, column) => {
              if (column !== 6) return undefined;
              const d = desired.get(names[row]!);
              const a = applied.get(names[row]!);
              return d && a && a.bundleDigest === d.bundleDigest ? 'green' : 'yellow';
            },
          )
        );
      });
    });
}
