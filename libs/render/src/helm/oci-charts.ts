// Charts from an OCI registry (`spec.chart.repository: oci://host/path`): the hub pulls the
// exact version with the real `helm pull`, so what it renders is what Helm users get from
// that registry (manifest and layer digests checked by Helm's registry client). The archive
// is kept in a cache keyed by the manifest digest Helm reports, with the archive's own hash
// beside it, so a damaged entry is pulled again rather than rendered. Plain HTTP is used only
// for loopback registries and for hosts the hub's settings name; every other registry is
// reached over TLS. Helm runs with an environment of its own (no registry credentials of the
// hub, no plugins), a time limit and a cap on the size of the file it writes.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

import type { ChartReference } from '@flotilla/manifests';

import { ChartRepositoryUnavailableError } from '../errors';
import { runTool, type ToolSlots } from '../sandbox/run-tool';
import { Scratch } from '../sandbox/scratch';
import { sandboxEnv } from '../tools';
import type { ChartArchives } from './helm.renderer';

export interface OciChartOptions {
  readonly helm: string;
  readonly cacheDir: string;
  readonly scratchDir: string;
  readonly timeoutMs: number;
  /** Largest chart archive accepted (helm may not write a bigger file). */
  readonly maxBytes: number;
  /** Registries (`host` or `host:port`) reached over plain HTTP besides loopback ones. */
  readonly plainHttpHosts: readonly string[];
}

/** `oci://127.0.0.1:5000/charts` and `greeter`: the host and the full reference Helm pulls. */
export function ociReference(reference: ChartReference): { host: string; url: string } {
  const url = new URL(reference.repository);
  if (url.protocol !== 'oci:') throw new ChartRepositoryUnavailableError(`${reference.repository} is not oci://`);
  const path = url.pathname.replace(/\/+$/, '');
  return { host: url.host, url: `oci://${url.host}${path}/${reference.name}` };
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1';
}

const digestPattern = /Digest:\s*(sha256:[0-9a-f]{64})/;

export class OciChartFetcher implements ChartArchives {
  /** (reference, version) to manifest digest, for this process: a tag pulled once is not asked again. */
  private readonly digests = new Map<string, string>();

  constructor(
    private readonly options: OciChartOptions,
    private readonly slots: ToolSlots,
  ) {}

  async fetch(reference: ChartReference): Promise<{ digest: string; archive: Uint8Array }> {
    const { host, url } = ociReference(reference);
    const key = `${url}\u0000${reference.version}`;
    const known = this.digests.get(key);
    if (known) {
      const cached = await this.cached(known);
      if (cached) return { digest: known, archive: cached };
    }
    const plainHttp = isLoopbackHost(host) || this.options.plainHttpHosts.includes(host);
    const scratch = await Scratch.create(this.options.scratchDir);
    try {
      const out = join(scratch.dir, 'pulled');
      await mkdir(out, { recursive: true });
      const result = await this.slots.run(() =>
        runTool({
          command: this.options.helm,
          args: [
            'pull',
            url,
            '--version',
            reference.version,
            '--destination',
            out,
            ...(plainHttp ? ['--plain-http'] : []),
          ],
          cwd: scratch.dir,
          env: sandboxEnv(scratch.dir),
          timeoutMs: this.options.timeoutMs,
          maxOutputBytes: 64 * 1024,
          // The one tool run that needs the network: the registry.
          isolateNetwork: false,
          rlimits: { fileSizeBytes: this.options.maxBytes },
        }),
      );
      if (!result.ok) {
        const why = result.reason === 'exit' ? result.message.replace(/^Error: /, '') : result.message;
        throw new ChartRepositoryUnavailableError(`helm pull ${url} --version ${reference.version}: ${why}`);
      }
      const digest = digestPattern.exec(`${result.stdout}\n${result.stderr}`)?.[1];
      if (!digest) throw new ChartRepositoryUnavailableError(`helm pull ${url}: it reported no digest`);
      const [file] = (await readdir(out)).filter((name) => name.endsWith('.tgz'));
      if (!file) throw new ChartRepositoryUnavailableError(`helm pull ${url}: it wrote no chart archive`);
      const archive = await readFile(join(out, file));
      if (archive.length > this.options.maxBytes) {
        throw new ChartRepositoryUnavailableError(
          `${url} ${reference.version}: ${archive.length} bytes, above the limit of ${this.options.maxBytes}`,
        );
      }
      await mkdir(this.options.cacheDir, { recursive: true });
      const base = this.fileOf(digest);
      await writeFile(`${base}.sha256.tmp`, sha256(archive));
      await writeFile(`${base}.tmp`, archive);
      await rename(`${base}.sha256.tmp`, `${base}.sha256`);
      await rename(`${base}.tmp`, base);
      this.digests.set(key, digest);
      return { digest, archive };
    } catch (err) {
      if (err instanceof ChartRepositoryUnavailableError) throw err;
      throw new ChartRepositoryUnavailableError(`helm pull ${url}: ${(err as Error).message}`, { cause: err });
    } finally {
      await scratch.remove();
    }
  }

  private fileOf(digest: string): string {
    return join(this.options.cacheDir, `oci-${digest.replace(':', '-')}.tgz`);
  }

  private async cached(digest: string): Promise<Buffer | undefined> {
    try {
      const base = this.fileOf(digest);
      const [archive, expected] = await Promise.all([readFile(base), readFile(`${base}.sha256`, 'utf8')]);
      return sha256(archive) === expected.trim() ? archive : undefined;
    } catch {
      return undefined;
    }
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One fetcher for `spec.chart`: `oci://` repositories from a registry, http(s) ones from their index.yaml. */
export class ChartSources implements ChartArchives {
  constructor(
    private readonly repository: ChartArchives,
    private readonly oci: ChartArchives | undefined,
  ) {}

  fetch(reference: ChartReference): Promise<{ digest: string; archive: Uint8Array }> {
    if (reference.repository.startsWith('oci://')) {
      if (!this.oci)
        return Promise.reject(new ChartRepositoryUnavailableError('this hub has no helm to pull OCI charts'));
      return this.oci.fetch(reference);
    }
    return this.repository.fetch(reference);
  }
}
