import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type {
  AppliedApplication,
  ApplicationPolicyView,
  ApplicationStatus,
  ApplicationView,
  ClusterApplicationStatus,
  ItemList,
  RenderStatus,
  ApplicationResourcesView as ApplicationResources,
} from '@flotilla/api';
import { InvalidApplicationSpecError, parseApplicationSpec, type Application } from '@flotilla/manifests';
import { parseDurationSeconds } from '../args/duration';
import { formatSelector } from '../args/selector';
import { CliError, HubApiError, UsageError } from '../errors';
import type { HubClient } from '../hub/hub-client';
import { formatAge, stateColour, type Colour } from '../output/format';
import { renderFields } from '../output/table';
import type { CommandContext } from './command-context';
import { resolveCluster } from './clusters.command';

/**
 * How often `apps status --wait` asks the hub again. The status comes from the hub's read
 * models (cheap to read); a second keeps the progress line live without hammering it.
 * (Belongs in services/cli/src/durations.ts with the CLI's other durations.)
 */
export const statusPollIntervalMs = 1_000;
/** `apps status --wait` gives up after this long unless --timeout says otherwise. */
export const statusWaitTimeoutDefault = '5m';

/** Each problem of an application file on its own line, from the local check or the hub's 400. */
export class InvalidApplicationFileError extends CliError {
  readonly exitCode = 1;
  constructor(
    readonly file: string,
    readonly issues: readonly { path: string; message: string }[],
    by: 'local' | 'hub',
    options?: { cause?: unknown },
  ) {
    const count = `${issues.length} issue${issues.length === 1 ? '' : 's'}`;
    super(
      `${by === 'local' ? `${file} is not a valid application` : `the hub rejected ${file}`} (${count}):\n` +
        issues.map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'),
      options,
    );
  }
}

/** `apps status --wait` ran out of time; the message lists what was still missing. */
export class StatusWaitTimeoutError extends CliError {
  readonly exitCode = 1;
}

/** `apps status --wait` cannot succeed: the newest commit the hub tried did not render. */
export class RolloutImpossibleError extends CliError {
  readonly exitCode = 1;
}

const fullCommit = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** `flotilla apps apply|list|get|delete|pin|unpin|sync|status`: applications and their rollout. */
export function appsCommand(ctx: CommandContext): Command {
  const apps = new Command('apps')
    .alias('app')
    .description('applications: which manifests go to which clusters, pins, syncs and rollout status');
  const subject = (name: string) => `application "${name}"`;
  const path = (name: string) => `/api/v1/applications/${encodeURIComponent(name)}`;

  apps
    .command('apply')
    .description('create or change an application from its file (checked here first, then by the hub)')
    .requiredOption('-f, --filename <file>', 'the application file (YAML or JSON); - reads stdin')
    .addHelpText(
      'after',
      '\nThe file format: libs/manifests/APPLICATION.md. Examples:\n' +
        '  flotilla apps apply -f web.yaml\n' +
        '  flotilla apps get web -o yaml | sed s/replicas:.3/replicas: 5/ | flotilla apps apply -f -',
    )
    .action(async (options: { filename: string }, command: Command) => {
      const label = options.filename === '-' ? '<stdin>' : options.filename;
      const text = options.filename === '-' ? await readStdin(ctx) : await readFileText(options.filename);
      let application: Application;
      try {
        application = parseApplicationSpec(text);
      } catch (err) {
        if (err instanceof InvalidApplicationSpecError)
          throw new InvalidApplicationFileError(label, err.issues, 'local', { cause: err });
        throw err;
      }
      const name = application.metadata.name;
      let applied: AppliedApplication;
      try {
        applied = await ctx
          .client(command)
          .put<AppliedApplication>(path(name), application, { subject: subject(name) });
      } catch (err) {
        const issues = err instanceof HubApiError && err.status === 400 ? issuesOf(err.body) : undefined;
        if (issues) throw new InvalidApplicationFileError(label, issues, 'hub', { cause: err });
        throw err;
      }
      const outcome = applied.outcome === 'changed' ? 'configured' : (applied.outcome ?? 'applied');
      ctx.print(command, applied, () => `application ${applied.name} ${outcome}\n`);
    });

  apps
    .command('list')
    .alias('ls')
    .description('list applications')
    .option('--source <name>', 'only the applications of this source')
    .action(async (options: { source?: string }, command: Command) => {
      const { items } = await ctx
        .client(command)
        .get<ItemList<ApplicationView>>('/api/v1/applications', { query: { source: options.source } });
      if (items.length === 0 && ctx.format(command) === 'table') {
        ctx.note(
          options.source
            ? `No applications use source ${options.source}.`
            : 'No applications yet: see `flotilla apps apply --help`.',
        );
        return;
      }
      const now = ctx.now();
      ctx.print(command, items, () =>
        ctx.table(
          ['name', 'source', 'path', 'targets', 'pinned', 'sync', 'age'],
          items.map((a) => [
            a.name,
            a.spec.source,
            a.spec.path || '.',
            a.spec.targets.map(describeTarget).join('; '),
            a.pin ? `${a.pin.commit.slice(0, 12)} (${a.pin.by})` : '-',
            describePolicy(a.spec.syncPolicy),
            formatAge(a.createdAt, now),
          ]),
        ),
      );
    });

  apps
    .command('get')
    .description('show an application; -o yaml (or json) prints its file back, ready to edit and apply')
    .argument('<name>', 'application name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const application = await ctx.client(command).get<ApplicationView>(path(name), { subject: subject(name) });
      ctx.print(command, application.file, () => describeApplication(ctx, application));
    });

  apps
    .command('delete')
    .alias('rm')
    .description('delete an application: agents remove it from their clusters (pruning where its policy says prune)')
    .argument('<name>', 'application name')
    .action(async (name: string, _options: unknown, command: Command) => {
      await ctx.client(command).delete(path(name), { subject: subject(name) });
      ctx.print(command, { name, deleted: true }, () => `application ${name} deleted\n`);
    });

  apps
    .command('pin')
    .description("keep an application on one commit (a rollback) until unpinned; wins over the file's pinnedCommit")
    .argument('<name>', 'application name')
    .argument('<commit>', 'full commit id (40 hex digits): `git rev-parse <ref>` prints it')
    .action(async (name: string, commit: string, _options: unknown, command: Command) => {
      if (!fullCommit.test(commit))
        throw new UsageError(
          `"${commit}" is not a full commit id (40 lowercase hex digits): an abbreviation or branch could change meaning later; \`git rev-parse ${commit}\` prints the full id`,
        );
      const application = await ctx
        .client(command)
        .post<ApplicationView>(`${path(name)}/pin`, { commit }, { subject: subject(name) });
      ctx.print(command, application, () => `application ${name} pinned to ${commit}\n`);
    });

  const policy = apps
    .command('policy')
    .description('what an application may create: allowed namespaces and cluster-scoped and namespaced kinds');
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  policy
    .command('get')
    .description("show an application's policy (the default when no admin set one)")
    .argument('<name>', 'application name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const view = await ctx
        .client(command)
        .get<ApplicationPolicyView>(`${path(name)}/policy`, { subject: subject(name) });
      ctx.print(command, view, () => renderPolicy(view));
    });
  policy
    .command('set')
    .description(
      "replace an application's policy (admin): its target's namespace is always allowed; what is not granted is refused at render and by the agent",
    )
    .argument('<name>', 'application name (it need not exist yet)')
    .option('--namespace <ns>', 'another namespace it may use: a name, prefix* or * (repeatable)', collect)
    .option(
      '--cluster-scoped-kind <kind>',
      'a cluster-scoped kind it may create: Kind, group/Kind, group/* or * (repeatable; none by default)',
      collect,
    )
    .option('--namespaced-kind <kind>', 'a namespaced kind it may create (repeatable; default: any)', collect)
    .action(
      async (
        name: string,
        options: { namespace?: string[]; clusterScopedKind?: string[]; namespacedKind?: string[] },
        command: Command,
      ) => {
        const body = {
          namespaces: options.namespace ?? [],
          clusterScopedKinds: options.clusterScopedKind ?? [],
          namespacedKinds: options.namespacedKind ?? ['*'],
        };
        const view = await ctx
          .client(command)
          .put<ApplicationPolicyView>(`${path(name)}/policy`, body, { subject: subject(name) });
        ctx.print(command, view, () => renderPolicy(view));
      },
    );

  apps
    .command('unpin')
    .description("end an operator's pin: the application follows its branch (or its file's pin) again")
    .argument('<name>', 'application name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const application = await ctx
        .client(command)
        .post<ApplicationView>(`${path(name)}/unpin`, undefined, { subject: subject(name) });
      ctx.print(command, application, () =>
        application.pin
          ? `application ${name} unpinned: its file still pins ${application.pin.commit}\n`
          : `application ${name} unpinned: it follows its branch\n`,
      );
    });

  apps
    .command('sync')
    .description('apply an application now, on every cluster it targets or on one')
    .argument('<name>', 'application name')
    .option('--cluster <cluster>', 'only this cluster (name or id)')
    .action(async (name: string, options: { cluster?: string }, command: Command) => {
      const client = ctx.client(command);
      const cluster =
        options.cluster !== undefined ? await resolveCluster(client, options.cluster, { liveOnly: true }) : undefined;
      const accepted = await client.post<{ application: string; clusterId: string | null }>(
        `${path(name)}/sync`,
        cluster ? { clusterId: cluster.id } : {},
        { subject: subject(name) },
      );
      ctx.print(command, accepted, () =>
        cluster
          ? `sync of ${name} requested on cluster ${cluster.name}: follow it with \`flotilla apps status ${name} --wait\`\n`
          : `sync of ${name} requested on every targeted cluster: follow it with \`flotilla apps status ${name} --wait\`\n`,
      );
    });

  apps
    .command('status')
    .description('where an application runs: per cluster, the commit applied, sync, health and drift')
    .argument('<name>', 'application name')
    .option('--wait', 'wait until every connected cluster it targets is synced and healthy at the desired commit')
    .option(
      '--cluster <cluster>',
      'one cluster (name or id), resource by resource: sync result, health, drift, message',
    )
    .option(
      '--timeout <duration>',
      `give up waiting after this long, e.g. 90s, 10m (default ${statusWaitTimeoutDefault})`,
    )
    .addHelpText(
      'after',
      '\nWith --wait, progress goes to stderr; the exit code is 1 when the timeout passes, with what is missing.\n' +
        'An offline cluster is never counted healthy, and is not waited for.',
    )
    .action(async (name: string, options: { wait?: boolean; timeout?: string; cluster?: string }, command: Command) => {
      if (options.timeout !== undefined && !options.wait) throw new UsageError('--timeout goes with --wait');
      if (options.cluster !== undefined) {
        if (options.wait) throw new UsageError('--cluster shows one cluster now; --wait follows every cluster');
        const view = await ctx
          .client(command)
          .get<ApplicationResources>(
            `/api/v1/applications/${encodeURIComponent(name)}/clusters/${encodeURIComponent(options.cluster)}/resources`,
            { subject: `application "${name}" or cluster "${options.cluster}"` },
          );
        ctx.print(command, view, () => describeResources(ctx, view));
        return;
      }
      const timeoutSeconds = parseDurationSeconds(options.timeout ?? statusWaitTimeoutDefault, '--timeout');
      const client = ctx.client(command);
      const status = options.wait
        ? await waitForRollout(ctx, client, name, timeoutSeconds * 1000)
        : await fetchStatus(client, name);
      ctx.print(command, status, () => describeStatus(ctx, status));
    });

  return apps;
}

function fetchStatus(client: HubClient, name: string): Promise<ApplicationStatus> {
  return client.get<ApplicationStatus>(`/api/v1/applications/${encodeURIComponent(name)}/status`, {
    subject: `application "${name}"`,
  });
}

/** Why a connected cluster is not done yet, or undefined when it is synced and healthy at the desired commit. */
export function pendingReason(c: ClusterApplicationStatus): string | undefined {
  if (c.state !== 'connected') return undefined;
  if (!c.desiredCommit) return 'nothing rendered for it yet';
  if (c.sync === 'failed') return `sync failed${c.message ? `: ${c.message}` : ''}`;
  if (c.appliedCommit !== c.desiredCommit || (c.desiredBundle && c.appliedBundle !== c.desiredBundle))
    // An agent retries a failed sync: while it does, the last failure is still the news.
    return `applied ${short(c.appliedCommit)}, desired ${short(c.desiredCommit)} (sync ${c.sync}${
      c.message ? `; last attempt failed: ${c.message}` : ''
    })`;
  if (c.sync !== 'synced') return `sync ${c.sync}`;
  if (c.health !== 'healthy') return `health ${c.health}${c.healthMessage ? `: ${c.healthMessage}` : ''}`;
  return undefined;
}

/** "3/5 synced, 2/5 healthy, 1 offline": the hub's own counts. */
export function progressLine(status: ApplicationStatus): string {
  const s = status.summary;
  const parts = [`${s.synced}/${s.clusters} synced`, `${s.healthy}/${s.clusters} healthy`];
  if (s.offline > 0) parts.push(`${s.offline} offline`);
  if (s.failed > 0) parts.push(`${s.failed} failed`);
  if (s.drifted > 0) parts.push(`${s.drifted} drifted`);
  return parts.join(', ');
}

async function waitForRollout(
  ctx: CommandContext,
  client: HubClient,
  name: string,
  timeoutMs: number,
): Promise<ApplicationStatus> {
  const deadline = Date.now() + timeoutMs;
  const live = Boolean(ctx.io.stderr.isTTY);
  let shown = '';
  const show = (line: string) => {
    if (line === shown) return;
    shown = line;
    // On a terminal the line is rewritten in place; piped, each change is its own line.
    ctx.io.stderr.write(live ? `\r\u001b[K${line}` : `${line}\n`);
  };
  for (;;) {
    const status = await fetchStatus(client, name);
    const pending = status.clusters.flatMap((c) => {
      const reason = pendingReason(c);
      return reason ? [`${c.clusterName}: ${reason}`] : [];
    });
    show(progressLine(status));
    if (status.render?.state === 'failed' && status.render.failure) {
      if (live) ctx.io.stderr.write('\n');
      throw new RolloutImpossibleError(
        `application ${name} cannot roll out ${short(status.render.failure.commit)}: ${describeRenderFailure(status.render.failure)}`,
      );
    }
    if (pending.length === 0) {
      if (live) ctx.io.stderr.write('\n');
      const connected = status.clusters.filter((c) => c.state === 'connected').length;
      if (status.clusters.length === 0) ctx.note(`application ${name} targets no cluster`);
      else if (connected === 0) ctx.note(`no cluster of application ${name} is connected: nothing to wait for`);
      return status;
    }
    if (Date.now() >= deadline) {
      if (live) ctx.io.stderr.write('\n');
      const offline = status.clusters.filter((c) => c.state !== 'connected').map((c) => c.clusterName);
      throw new StatusWaitTimeoutError(
        `application ${name} is not rolled out after ${formatMs(timeoutMs)} (${progressLine(status)}):\n` +
          pending.map((line) => `  ${line}`).join('\n') +
          (offline.length > 0 ? `\n  not waited for (offline): ${offline.join(', ')}` : ''),
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(statusPollIntervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}

const short = (commit: string | null) => (commit ? commit.slice(0, 12) : 'nothing');
const formatMs = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`);

function issuesOf(body: unknown): { path: string; message: string }[] | undefined {
  const issues = (body as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  return issues.map((i: { path?: unknown; message?: unknown }) => ({
    path: typeof i.path === 'string' ? i.path : '',
    message: typeof i.message === 'string' ? i.message : String(i.message),
  }));
}

async function readFileText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot be read (${code ?? (err as Error).message})`,
    );
  }
}

async function readStdin(ctx: CommandContext): Promise<string> {
  if (ctx.io.stdin.isTTY) ctx.note('reading the application file from stdin (end with Ctrl-D)');
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function describeTarget(t: Application['spec']['targets'][number]): string {
  const what = t.group !== undefined ? `group ${t.group}` : `selector ${formatSelector(t.selector ?? {}) || '(all)'}`;
  return t.namespace ? `${what} -> ${t.namespace}` : what;
}

function describePolicy(p: Application['spec']['syncPolicy']): string {
  return [
    p.automated ? 'auto' : 'manual',
    ...(p.prune ? ['prune'] : []),
    p.driftMode === 'correct' ? 'correct' : 'detect',
  ].join(',');
}

function describeApplication(ctx: CommandContext, a: ApplicationView): string {
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

function renderPolicy(view: ApplicationPolicyView): string {
  const list = (values: readonly string[]) => (values.length === 0 ? 'none' : values.join(', '));
  return renderFields([
    ['application', view.application],
    ['namespaces', `the target's${view.policy.namespaces.length > 0 ? `, ${view.policy.namespaces.join(', ')}` : ''}`],
    ['cluster-scoped kinds', list(view.policy.clusterScopedKinds)],
    ['namespaced kinds', list(view.policy.namespacedKinds)],
    ['set', view.set ? `${view.setAt ?? ''} by ${view.setBy ?? ''}` : 'no: the default'],
  ]);
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

function describeStatus(ctx: CommandContext, status: ApplicationStatus): string {
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

function describeResources(ctx: CommandContext, v: ApplicationResources): string {
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
