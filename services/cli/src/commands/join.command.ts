import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { parseDurationSeconds } from '../args/duration';
import { formatLabels, parseKeyValues } from '../args/label-changes';
import { durations } from '../durations';
import { UsageError } from '../errors';
import type { Cluster, ItemList, RegistrationToken } from '@flotilla/api';
import { cliVersion } from '../version';
import { agentManifests, type RbacProfile } from './agent-manifests';
import type { CommandContext } from './command-context';

interface JoinOptions {
  labels?: string;
  natsUrl?: string;
  image?: string;
  namespace: string;
  rbac: RbacProfile;
  manageNamespaces?: string;
  ttl?: string;
  helm?: string;
  wait?: boolean;
  timeout?: string;
}

/**
 * `flotilla clusters join NAME`: a one-time registration token, and ONE command (on stdout)
 * that installs the agent with it in the current kube context: `kubectl apply -f -` of the
 * agent's manifests, or `helm upgrade --install` of the agent chart with `--helm CHART`.
 * `--wait` then waits until that cluster is connected, with progress on stderr.
 */
export function joinCommand(ctx: CommandContext): Command {
  return new Command('join')
    .description(
      'create a one-time token and print the one command that installs the agent in the current kube context',
    )
    .argument('<name>', 'the name the cluster registers under (DNS label)')
    .option('-l, --labels <labels>', 'labels the cluster registers with, e.g. env=prod,region=eu')
    .option('--nats-url <url>', "the hub's NATS as the cluster reaches it (default: $FLOTILLA_NATS_URL)")
    .option(
      '--image <ref>',
      'agent image (default: $FLOTILLA_AGENT_IMAGE, else localhost/flotilla/agent:<cli version>)',
    )
    .option('--namespace <namespace>', "the agent's namespace", 'flotilla-system')
    .addOption(
      new Option(
        '--rbac <profile>',
        'namespaces: the agent may touch only --manage-namespaces; cluster: every namespace',
      )
        .choices(['namespaces', 'cluster'])
        .default('namespaces'),
    )
    .option('--manage-namespaces <list>', 'comma-separated namespaces the agent manages (with --rbac namespaces)')
    .option('--ttl <duration>', "token lifetime, e.g. 30m, 1h (default: the hub's)")
    .option(
      '--helm <chart>',
      'print `helm upgrade --install` of this agent chart (path or repo/chart) instead of kubectl apply',
    )
    .option('--wait', 'after printing, wait until the cluster is connected')
    .option('--timeout <duration>', 'how long --wait waits (default 10m)')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla clusters join eu-1 -l env=prod,region=eu --nats-url nats://hub.example.com:4222 --manage-namespaces shop\n' +
        "  flotilla clusters join eu-1 --nats-url nats://hub:4222 > install.sh && bash install.sh   # in the cluster's context\n" +
        '  flotilla clusters join eu-1 --nats-url nats://hub:4222 --helm deploy/charts/flotilla-agent --wait',
    )
    .action(async (name: string, options: JoinOptions, command: Command) => {
      const natsUrl = options.natsUrl ?? ctx.io.env.FLOTILLA_NATS_URL;
      if (!natsUrl || !/^(nats|tls):\/\//.test(natsUrl))
        throw new UsageError(
          "give --nats-url nats://HOST:PORT (how the cluster reaches the hub's NATS), or set FLOTILLA_NATS_URL",
        );
      const labels = parseKeyValues(
        (options.labels ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        '--labels',
      );
      const ttlSeconds = options.ttl !== undefined ? parseDurationSeconds(options.ttl, '--ttl') : undefined;
      const timeoutMs =
        options.timeout !== undefined
          ? parseDurationSeconds(options.timeout, '--timeout') * 1000
          : durations.joinWaitTimeoutDefaultMs;
      const managed = (options.manageNamespaces ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (options.rbac === 'namespaces' && managed.length === 0)
        ctx.note(`note: no --manage-namespaces: the agent may touch only its own namespace ${options.namespace}`);
      const image = options.image ?? ctx.io.env.FLOTILLA_AGENT_IMAGE ?? `localhost/flotilla/agent:${cliVersion()}`;

      const client = ctx.client(command);
      const created = await client.post<RegistrationToken>('/api/v1/registration-tokens', {
        labels,
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      });
      if (!created.bootstrapCreds) throw new UsageError('the hub runs without NATS: agents cannot join it');
      const install = {
        clusterName: name,
        natsUrl,
        token: created.token,
        bootstrapCreds: created.bootstrapCreds,
        image,
        namespace: options.namespace,
        rbacProfile: options.rbac,
        managedNamespaces: managed,
      };
      ctx.note(
        `One-time token ${created.tokenId} for cluster ${name} (labels ${formatLabels(created.labels)}), expires ${created.expiresAt}.\n` +
          'Run this command once with the kube context of that cluster (`kubectl config current-context`); it holds the token:',
      );
      ctx.io.stdout.write(options.helm ? helmCommand(options.helm, install) : kubectlCommand(install));
      if (options.wait) await waitConnected(ctx, command, name, timeoutMs);
    });
}

function kubectlCommand(install: Parameters<typeof agentManifests>[0]): string {
  const docs = agentManifests(install).map((o) => stringify(o, { lineWidth: 0 }));
  return `kubectl apply --server-side --field-manager=flotilla-join -f - <<'EOF'\n${docs.join('---\n')}EOF\n`;
}

function helmCommand(chart: string, install: Parameters<typeof agentManifests>[0]): string {
  const values = {
    clusterName: install.clusterName,
    natsUrl: install.natsUrl,
    image: { reference: install.image },
    registration: { token: install.token, bootstrapCreds: install.bootstrapCreds },
    rbac: { profile: install.rbacProfile, managedNamespaces: install.managedNamespaces },
  };
  return (
    `helm upgrade --install flotilla-agent ${chart} --namespace ${install.namespace} --create-namespace --values - <<'EOF'\n` +
    `${stringify(values, { lineWidth: 0 })}EOF\n`
  );
}

async function waitConnected(ctx: CommandContext, command: Command, name: string, timeoutMs: number): Promise<void> {
  const client = ctx.client(command);
  const started = Date.now();
  let last = '';
  for (;;) {
    const { items } = await client.get<ItemList<Cluster>>('/api/v1/clusters');
    const cluster = items.find((c) => c.name === name && c.state !== 'deregistered');
    const state = cluster ? cluster.state : 'not registered yet';
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (state !== last) {
      ctx.note(`[${elapsed}s] cluster ${name}: ${state}`);
      last = state;
    }
    if (cluster?.state === 'connected') {
      ctx.note(`cluster ${name} (${cluster.id}) is connected`);
      return;
    }
    if (Date.now() - started > timeoutMs)
      throw new UsageError(
        `cluster ${name} not connected after ${elapsed}s (state: ${state}): look at the agent's log, ` +
          `kubectl logs -n flotilla-system deploy/flotilla-agent`,
      );
    await sleep(durations.joinWaitPollMs);
  }
}
