import type {
  ApplicationStatus,
  ApplicationView,
  RenderStatus,
  ApplicationResourcesView as ApplicationResources,
} from '@flotilla/api';
import type { Application } from '@flotilla/manifests';
import { formatSelector } from '../args/selector';
import { formatAge, stateColour, type Colour } from '../output/format';
import { renderFields } from '../output/table';
import type { CommandContext } from './command-context';

// How `flotilla apps` shows an application, its status and its resources.

/** A commit as the status lines show it: its first 12 characters. */
export const short = (commit: string | null) => (commit ? commit.slice(0, 12) : 'nothing');

/** "3/5 synced, 2/5 healthy, 1 offline": the hub's own counts. */
export function progressLine(status: ApplicationStatus): string {
  const s = status.summary;
  const parts = [`${s.synced}/${s.clusters} synced`, `${s.healthy}/${s.clusters} healthy`];
  if (s.offline > 0) parts.push(`${s.offline} offline`);
  if (s.failed > 0) parts.push(`${s.failed} failed`);
  if (s.drifted > 0) parts.push(`${s.drifted} drifted`);
  return parts.join(', ');
}

export function describeTarget(t: Application['spec']['targets'][number]): string {
  const what = t.group !== undefined ? `group ${t.group}` : `selector ${formatSelector(t.selector ?? {}) || '(all)'}`;
  return t.namespace ? `${what} -> ${t.namespace}` : what;
}

export function describePolicy(p: Application['spec']['syncPolicy']): string {
  return [
    p.automated ? 'auto' : 'manual',
    ...(p.prune ? ['prune'] : []),
    p.driftMode === 'correct' ? 'correct' : 'detect',
    ...(p.adopt ? ['adopt'] : []),
    ...(p.createNamespace ? ['create-namespace'] : []),
  ].join(',');
}

export function describeApplication(ctx: CommandContext, a: ApplicationView): string {
  const now = ctx.now();
  const when = (iso: string) => `${iso} (${formatAge(iso, now)} ago)`;
  const fields: [string, string][] = [
    ['name', a.name],
    ['source', a.spec.source],
    ['path', a.spec.path || '.'],
    [
      'pinned',
      a.pin
        ? a.pin.by === 'operator'
          ? `${a.pin.commit} (apps pin, by ${a.pin.actor ?? '?'}${a.pin.at ? ` ${formatAge(a.pin.at, now)} ago` : ''})`
          : `${a.pin.commit} (spec.pinnedCommit in the file)`
        : 'no: follows the branch',
    ],
    ['sync policy', describePolicy(a.spec.syncPolicy)],
  ];
  const ignored = Object.entries(a.spec.syncPolicy.ignoredFields);
  if (ignored.length > 0)
    fields.push(['ignored fields', ignored.map(([kind, pointers]) => `${kind} ${pointers.join(',')}`).join('; ')]);
  a.spec.targets.forEach((t, i) =>
    fields.push([
      `target ${i + 1}`,
      `${describeTarget(t)}${t.patches.length > 0 ? ` (${t.patches.length} patch${t.patches.length === 1 ? '' : 'es'})` : ''}`,
    ]),
  );
  fields.push(['created', `${when(a.createdAt)} by ${a.createdBy}`]);
  fields.push(['updated', `${when(a.updatedAt)} by ${a.updatedBy}`]);
  if (a.lastSyncRequest)
    fields.push([
      'last sync request',
      `${when(a.lastSyncRequest.at)} by ${a.lastSyncRequest.by}${a.lastSyncRequest.clusterId ? ` on ${a.lastSyncRequest.clusterId}` : ''}`,
    ]);
  return renderFields(fields);
}

const syncColour = (sync: string): Colour | undefined =>
  sync === 'synced'
    ? 'green'
    : sync === 'failed'
      ? 'red'
      : sync === 'syncing' || sync === 'pending'
        ? 'yellow'
        : undefined;
const healthColour = (health: string): Colour | undefined =>
  health === 'healthy'
    ? 'green'
    : health === 'degraded' || health === 'missing'
      ? 'red'
      : health === 'unknown'
        ? 'dim'
        : 'yellow';

/** "apps/web/bad.yaml document 2: InvalidYaml: ..." for each error; the cluster when only one failed. */
export function describeRenderFailure(f: NonNullable<RenderStatus['failure']>): string {
  const where = f.clusterId ? ` for cluster ${f.clusterName ?? f.clusterId}` : '';
  const errors = f.errors.map(
    (e) =>
      `${e.file ?? ''}${e.documentIndex !== null ? `${e.file ? ' ' : ''}document ${e.documentIndex + 1}` : ''}${
        e.file !== null || e.documentIndex !== null ? ': ' : ''
      }${e.code}: ${firstLine(e.reason)}`,
  );
  return `it failed to render${where}: ${errors.join('; ')}`;
}

// A parser's reason may carry a code frame; the line says why, `-o yaml` has the rest.
const firstLine = (text: string) => text.split('\n')[0]!.replace(/:$/, '');

/** The render line: the newest commit the hub saw, and whether it rendered. */
function renderLine(r: RenderStatus): string {
  const seen = r.sourceCommit ? `newest commit seen ${short(r.sourceCommit)}` : 'no commit seen yet';
  const pinned = r.pinnedCommit ? `, pinned to ${short(r.pinnedCommit)}` : '';
  if (r.state === 'failed' && r.failure)
    return `${seen}${pinned}; render of ${short(r.failure.commit)} FAILED: ${describeRenderFailure(r.failure)}`;
  if (r.state === 'rendered') return `${seen}${pinned}; rendered ${short(r.commit)}`;
  return `${seen}${pinned}; nothing rendered yet`;
}

export function describeStatus(ctx: CommandContext, status: ApplicationStatus): string {
  const head =
    `application ${status.application}: ${progressLine(status)}\n` +
    (status.render ? `${renderLine(status.render)}\n` : '');
  if (status.clusters.length === 0) return `${head}no cluster is targeted\n`;
  const now = ctx.now();
  const rows = status.clusters;
  return (
    head +
    ctx.table(
      ['cluster', 'state', 'sync', 'health', 'desired', 'applied', 'drift', 'last sync', 'message'],
      rows.map((c) => [
        c.clusterName,
        c.state,
        c.sync,
        c.health,
        short(c.desiredCommit),
        short(c.appliedCommit),
        c.drifted ? `${c.driftedResources} resource${c.driftedResources === 1 ? '' : 's'}` : '-',
        c.lastSyncAt ? formatAge(c.lastSyncAt, now) : '-',
        // A failed sync says why first; otherwise why the health is not healthy.
        (c.sync === 'failed'
          ? c.message
          : c.message && c.sync !== 'synced'
            ? `retrying; last attempt failed: ${c.message}`
            : c.health !== 'healthy'
              ? c.healthMessage
              : null) || '-',
      ]),
      (row, column) =>
        column === 1
          ? stateColour(rows[row]!.state)
          : column === 2
            ? syncColour(rows[row]!.sync)
            : column === 3
              ? healthColour(rows[row]!.health)
              : column === 6 && rows[row]!.drifted
                ? 'yellow'
                : undefined,
    )
  );
}

export function describeResources(ctx: CommandContext, v: ApplicationResources): string {
  const head = `application ${v.application} on cluster ${v.clusterName}: ${
    v.lastSync
      ? `last sync ${v.lastSync.result} at ${short(v.lastSync.commit)} ${formatAge(v.lastSync.at, ctx.now())} ago`
      : 'no sync reported yet'
  }\n`;
  if (v.resources.length === 0) return `${head}no resources\n`;
  const rows = v.resources;
  return (
    head +
    ctx.table(
      ['kind', 'namespace', 'name', 'sync', 'health', 'drift', 'message'],
      rows.map((r) => [
        r.kind,
        r.namespace ?? '-',
        r.name,
        r.reason && r.result !== 'failed' ? `${r.result} (${r.reason})` : r.result,
        r.health ?? '-',
        r.drifted ? 'drifted' : '-',
        // The sync's word when it failed or left the object alone, else why the health is what it is.
        (r.reason || r.result === 'failed' ? [r.reason, r.message].filter(Boolean).join(': ') : null) ||
          (r.health !== 'healthy' ? r.healthMessage : null) ||
          '-',
      ]),
      (row, column) =>
        column === 3
          ? rows[row]!.result === 'failed'
            ? 'red'
            : undefined
          : column === 4
            ? healthColour(rows[row]!.health ?? 'unknown')
            : column === 5 && rows[row]!.drifted
              ? 'yellow'
              : undefined,
    )
  );
}
