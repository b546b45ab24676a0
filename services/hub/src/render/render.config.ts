import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { z } from 'zod';
import {
  ApplicationRenderer,
  ChartRepositoryFetcher,
  networkIsolation,
  probeTools,
  RenderToolUnavailableError,
} from '@flotilla/render';

import { HubConfigError, loadSettings } from '../config/load-settings';
import { renderDurations } from '../durations';

/**
 * How the hub renders applications (FLOTILLA_HUB_HELM, FLOTILLA_HUB_KUBECTL,
 * FLOTILLA_HUB_RENDER_*, FLOTILLA_HUB_CHART_*), validated at start-up. A tool that is
 * configured but missing or broken stops the hub with a message naming the variable; an
 * unset tool only makes the applications that need it fail to render, saying so.
 */
export const renderConfigSchema = z.object({
  /** The helm v3 binary (`eval "$(bash scripts/ensure-k8s-tools.sh)"` gives the pinned v3.17.2 as FLOTILLA_HELM). */
  FLOTILLA_HUB_HELM: z.string().min(1).optional(),
  /** The kubectl binary whose built-in kustomize builds kustomizations (pinned v1.32.3, kustomize v5.5.0). */
  FLOTILLA_HUB_KUBECTL: z.string().min(1).optional(),
  /** A tool killed after this long. */
  FLOTILLA_HUB_RENDER_TIMEOUT_MS: z.coerce.number().int().min(100).default(renderDurations.toolTimeoutMs),
  /** A tool killed when it prints more than this (4 MiB: several times the largest bundle). */
  FLOTILLA_HUB_RENDER_MAX_OUTPUT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /**
   * The address space each helm or kubectl run may map (`prlimit --as`): a chart or
   * kustomization that needs more is cut off (`helm-memory`, `kustomize-memory`). Go tools
   * reserve about 1 GiB before allocating anything, hence the floor; 2 GiB leaves about 1 GiB
   * of real memory to a render.
   */
  FLOTILLA_HUB_RENDER_MAX_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024 * 1024)
    .default(2 * 1024 * 1024 * 1024),
  /** Tools running at once (each is one process; the hub's cores are shared with its own work). */
  FLOTILLA_HUB_RENDER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Where scratch copies of commits are made and removed. */
  FLOTILLA_HUB_RENDER_SCRATCH_DIR: z.string().min(1).default(join(tmpdir(), 'flotilla-render')),
  /**
   * `auto` (default): tools run in a network namespace of their own when the kernel allows
   * it; `required`: the hub does not start without it; `off`: only the refusal of remote
   * references keeps tools offline.
   */
  FLOTILLA_HUB_RENDER_NETWORK_ISOLATION: z.enum(['auto', 'required', 'off']).default('auto'),
  /** The Kubernetes version Helm templates see for a cluster that reported none and has no flotilla.dev/kube-version label. */
  FLOTILLA_HUB_RENDER_DEFAULT_KUBE_VERSION: z
    .string()
    .regex(/^v\d+\.\d+\.\d+$/, 'must be a version such as v1.32.0')
    .default('v1.32.0'),
  /** Charts fetched from chart repositories, one file per digest. */
  FLOTILLA_HUB_CHART_CACHE_DIR: z.string().min(1).default(join(tmpdir(), 'flotilla-charts')),
  /**
   * OCI registries (`host` or `host:port`, comma-separated) the hub pulls charts from over
   * plain HTTP; loopback registries always are, every other one only over TLS.
   */
  FLOTILLA_HUB_CHART_OCI_PLAIN_HTTP_HOSTS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/, 'must be host or host:port'))),
  /** Largest index.yaml or chart archive fetched. */
  FLOTILLA_HUB_CHART_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
});

export type RenderConfig = z.infer<typeof renderConfigSchema>;

export function loadRenderConfig(env: NodeJS.ProcessEnv = process.env): RenderConfig {
  return loadSettings(renderConfigSchema, 'render', env);
}

/** The hub's renderer, its tools checked now: a configured tool that is missing or broken throws HubConfigError. */
export function createApplicationRenderer(
  config: RenderConfig,
  logger: { log(message: string): void; warn(message: string): void },
): ApplicationRenderer {
  const tools = { helm: config.FLOTILLA_HUB_HELM, kubectl: config.FLOTILLA_HUB_KUBECTL };
  for (const [setting, path] of [
    ['FLOTILLA_HUB_HELM', tools.helm],
    ['FLOTILLA_HUB_KUBECTL', tools.kubectl],
  ] as const) {
    if (path && !existsSync(path)) {
      throw new HubConfigError(
        `${setting}=${path}: no such file (run \`eval "$(bash scripts/ensure-k8s-tools.sh)"\` for the pinned tools, or unset it)`,
      );
    }
  }
  let versions;
  try {
    versions = probeTools(tools, { helm: 'FLOTILLA_HUB_HELM', kubectl: 'FLOTILLA_HUB_KUBECTL' });
  } catch (err) {
    if (err instanceof RenderToolUnavailableError) throw new HubConfigError(err.message, { cause: err });
    throw err;
  }
  // The memory cap is set by util-linux prlimit in front of every tool: without it the cap would silently not hold.
  const prlimit = spawnSync('prlimit', ['--version'], {
    timeout: 5_000,
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
  });
  if (prlimit.status !== 0) {
    throw new HubConfigError(
      `FLOTILLA_HUB_RENDER_MAX_MEMORY_BYTES needs prlimit (util-linux) in /usr/bin or /bin: ${prlimit.error?.message ?? prlimit.stderr}`,
    );
  }
  const isolation =
    config.FLOTILLA_HUB_RENDER_NETWORK_ISOLATION === 'off' ? { available: false, detail: 'off' } : networkIsolation();
  if (!isolation.available && config.FLOTILLA_HUB_RENDER_NETWORK_ISOLATION === 'required') {
    throw new HubConfigError(
      `FLOTILLA_HUB_RENDER_NETWORK_ISOLATION=required, but tools cannot get a network namespace: ${isolation.detail}`,
    );
  }
  logger.log(
    `renderers: plain; kustomize ${versions.kustomize ?? '(FLOTILLA_HUB_KUBECTL not set)'}; helm ${versions.helm ?? '(FLOTILLA_HUB_HELM not set)'}; tool network ${isolation.available ? 'isolated' : `not isolated (${isolation.detail})`}; tool memory ${Math.round(config.FLOTILLA_HUB_RENDER_MAX_MEMORY_BYTES / 1024 / 1024)} MiB`,
  );
  if (!tools.helm || !tools.kubectl)
    logger.warn('applications that need an unset tool fail to render (RenderFailed, code renderer-unavailable)');
  return new ApplicationRenderer({
    tools,
    versions,
    scratchDir: config.FLOTILLA_HUB_RENDER_SCRATCH_DIR,
    timeoutMs: config.FLOTILLA_HUB_RENDER_TIMEOUT_MS,
    maxOutputBytes: config.FLOTILLA_HUB_RENDER_MAX_OUTPUT_BYTES,
    concurrency: config.FLOTILLA_HUB_RENDER_CONCURRENCY,
    isolateNetwork: isolation.available,
    maxMemoryBytes: config.FLOTILLA_HUB_RENDER_MAX_MEMORY_BYTES,
    defaultKubeVersion: config.FLOTILLA_HUB_RENDER_DEFAULT_KUBE_VERSION,
    charts: new ChartRepositoryFetcher({
      cacheDir: config.FLOTILLA_HUB_CHART_CACHE_DIR,
      timeoutMs: renderDurations.chartFetchTimeoutMs,
      maxBytes: config.FLOTILLA_HUB_CHART_MAX_BYTES,
    }),
    ociCharts: {
      cacheDir: config.FLOTILLA_HUB_CHART_CACHE_DIR,
      timeoutMs: renderDurations.chartFetchTimeoutMs,
      maxBytes: config.FLOTILLA_HUB_CHART_MAX_BYTES,
      plainHttpHosts: config.FLOTILLA_HUB_CHART_OCI_PLAIN_HTTP_HOSTS,
    },
  });
}
