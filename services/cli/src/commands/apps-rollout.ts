import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplicationStatus, ClusterApplicationStatus } from '@flotilla/api';
import { durations } from '../durations';
import { CliError } from '../errors';
import type { HubClient } from '../hub/hub-client';
import { describeRenderFailure, progressLine, short } from './apps-format';
import type { CommandContext } from './command-context';

// `apps status --wait`: polls the application's status until every connected cluster runs
// the desired commit, synced and healthy, or the render failed, or time ran out.

/** `apps status --wait` gives up after this long unless --timeout says otherwise. */
export const statusWaitTimeoutDefault = '5m';

/** `apps status --wait` ran out of time; the message lists what was still missing. */
export class StatusWaitTimeoutError extends CliError {
  readonly exitCode = 1;
}

/** `apps status --wait` cannot succeed: the newest commit the hub tried did not render. */
export class RolloutImpossibleError extends CliError {
  readonly exitCode = 1;
}

export function fetchStatus(client: HubClient, name: string): Promise<ApplicationStatus> {
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

export async function waitForRollout(
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
    // Just created or edited: the hub has seen a commit but not rendered anything yet, so no
    // cluster is listed; "targets no cluster" would be a guess, not an answer.
    const target = status.render?.pinnedCommit ?? status.render?.sourceCommit;
    if (status.render?.state === 'none' && target) pending.push(`the hub has not rendered ${short(target)} yet`);
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
    await sleep(Math.min(durations.statusPollIntervalMs, Math.max(0, deadline - Date.now())));
  }
}

const formatMs = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`);
