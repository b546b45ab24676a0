// The tools the renderers run, where they are and which versions they are. Checked once at
// start-up: a configured path that is missing or does not run stops the hub with a message
// naming the setting, rather than failing every render later.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { RenderToolUnavailableError } from './errors';

export interface ToolPaths {
  /** The helm binary (v3); undefined: Helm applications fail to render with a clear error. */
  readonly helm?: string | undefined;
  /** The kubectl binary whose `kubectl kustomize` builds kustomizations; undefined likewise. */
  readonly kubectl?: string | undefined;
}

export interface ToolVersions {
  readonly helm?: string | undefined;
  readonly kustomize?: string | undefined;
}

export interface ToolSettings extends ToolPaths {
  readonly versions: ToolVersions;
  readonly scratchDir: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly isolateNetwork: boolean;
  /** RLIMIT_AS of each tool run (address space; a Go tool needs about 1 GiB before it allocates anything). */
  readonly maxMemoryBytes?: number | undefined;
  /** The whole environment a tool gets: nothing of the hub's (no credentials, no proxies, no kubeconfig). */
  env(scratch: string): Record<string, string>;
}

function versionOf(command: string, args: string[], setting: string): string {
  const run = spawnSync(command, args, { timeout: 10_000, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (run.error || run.status !== 0) {
    const why = run.error?.message ?? (run.stderr.trim() || `exit ${run.status}`);
    throw new RenderToolUnavailableError(`${setting}=${command} does not run (${why}): install it or fix the path`, {
      cause: run.error,
    });
  }
  return run.stdout.trim();
}

/** The versions of the configured tools; throws RenderToolUnavailableError naming the setting of one that does not run. */
export function probeTools(paths: ToolPaths, settings: { helm: string; kubectl: string }): ToolVersions {
  let helm: string | undefined;
  let kustomize: string | undefined;
  if (paths.helm) helm = versionOf(paths.helm, ['version', '--short'], settings.helm).replace(/\+.*$/, '');
  if (paths.kubectl) {
    const out = versionOf(paths.kubectl, ['version', '--client', '-o', 'json'], settings.kubectl);
    try {
      kustomize = (JSON.parse(out) as { kustomizeVersion?: string }).kustomizeVersion;
    } catch (err) {
      throw new RenderToolUnavailableError(
        `${settings.kubectl}=${paths.kubectl} is not kubectl: ${out.slice(0, 200)}`,
        {
          cause: err,
        },
      );
    }
    if (!kustomize)
      throw new RenderToolUnavailableError(`${settings.kubectl}=${paths.kubectl} has no kustomize built in`);
  }
  return { helm, kustomize };
}

/** The environment of a tool run in `scratch`: Helm's homes inside it, no plugins, no kubeconfig. */
export function sandboxEnv(scratch: string): Record<string, string> {
  return {
    PATH: '/usr/bin:/bin',
    HOME: join(scratch, 'home'),
    HELM_CACHE_HOME: join(scratch, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(scratch, 'helm', 'config'),
    HELM_DATA_HOME: join(scratch, 'helm', 'data'),
    HELM_PLUGINS: join(scratch, 'helm', 'plugins'),
    HELM_REGISTRY_CONFIG: join(scratch, 'helm', 'registry.json'),
    HELM_REPOSITORY_CONFIG: join(scratch, 'helm', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(scratch, 'helm', 'repository'),
    KUBECONFIG: join(scratch, 'no-kubeconfig'),
    // Go's own limits: one render does not take every core or grow without bound.
    GOMAXPROCS: '1',
    GOMEMLIMIT: '512MiB',
  };
}
