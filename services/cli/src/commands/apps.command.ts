import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type {
  AppliedApplication,
  ApplicationPolicyView,
  ApplicationView,
  ItemList,
  ApplicationResourcesView as ApplicationResources,
} from '@flotilla/api';
import { InvalidApplicationSpecError, parseApplicationSpec, type Application } from '@flotilla/manifests';
import { parseDurationSeconds } from '../args/duration';
import { CliError, HubApiError, UsageError } from '../errors';
import { formatAge } from '../output/format';
import { renderFields } from '../output/table';
import { describeApplication, describePolicy, describeResources, describeStatus, describeTarget } from './apps-format';
import { fetchStatus, statusWaitTimeoutDefault, waitForRollout } from './apps-rollout';
import type { CommandContext } from './command-context';
import { resolveCluster } from './clusters.command';

export { pendingReason, RolloutImpossibleError, StatusWaitTimeoutError } from './apps-rollout';
export { describeRenderFailure, progressLine } from './apps-format';

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
