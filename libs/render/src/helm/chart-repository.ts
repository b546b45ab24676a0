// Charts from a Helm chart repository (an index.yaml over HTTP): the hub fetches the exact
// version an application names, checks the archive against the digest the index gives, and
// keeps it in a cache keyed by that digest, so each version is downloaded once and renders
// never touch the network. This is the only network access rendering has.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ChartReference } from '@flotilla/manifests';
import { parse } from 'yaml';

import { ChartRepositoryUnavailableError } from '../errors';
import type { ChartArchives } from './helm.renderer';

export interface ChartRepositoryOptions {
  readonly cacheDir: string;
  readonly timeoutMs: number;
  /** Largest index.yaml or chart archive accepted. */
  readonly maxBytes: number;
}

interface IndexEntry {
  version?: string;
  digest?: string;
  urls?: string[];
}

export class ChartRepositoryFetcher implements ChartArchives {
  /** (repository, name, version) to digest: a published version does not change, and when it does the digest check says so. */
  private readonly digests = new Map<string, string>();

  constructor(private readonly options: ChartRepositoryOptions) {}

  async fetch(reference: ChartReference): Promise<{ digest: string; archive: Uint8Array }> {
    const key = `${reference.repository}\u0000${reference.name}\u0000${reference.version}`;
    const known = this.digests.get(key);
    if (known) {
      const cached = await this.cached(known);
      if (cached) return { digest: known, archive: cached };
    }
    const base = reference.repository.endsWith('/') ? reference.repository : `${reference.repository}/`;
    const index = parse((await this.get(new URL('index.yaml', base))).toString('utf8'), { maxAliasCount: 100 }) as {
      entries?: Record<string, IndexEntry[]>;
    } | null;
    const entry = index?.entries?.[reference.name]?.find(
      (candidate) => candidate.version?.replace(/^v/, '') === reference.version.replace(/^v/, ''),
    );
    if (!entry)
      throw new ChartRepositoryUnavailableError(
        `${reference.repository} has no chart ${reference.name} version ${reference.version}`,
      );
    if (!entry.digest || !/^[0-9a-f]{64}$/.test(entry.digest) || !entry.urls?.[0]) {
      throw new ChartRepositoryUnavailableError(
        `${reference.repository}: ${reference.name} ${reference.version} has no sha256 digest or URL in index.yaml`,
      );
    }
    const digest = `sha256:${entry.digest}`;
    const cached = await this.cached(digest);
    if (cached) {
      this.digests.set(key, digest);
      return { digest, archive: cached };
    }
    const url = new URL(entry.urls[0], base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ChartRepositoryUnavailableError(`${reference.repository}: chart URL ${url.href} is not http(s)`);
    }
    const archive = await this.get(url);
    const actual = createHash('sha256').update(archive).digest('hex');
    if (actual !== entry.digest) {
      throw new ChartRepositoryUnavailableError(
        `${url.href} has digest sha256:${actual}, but index.yaml says ${digest}: refusing the archive`,
      );
    }
    await mkdir(this.options.cacheDir, { recursive: true });
    const file = this.fileOf(digest);
    await writeFile(`${file}.tmp`, archive);
    await rename(`${file}.tmp`, file);
    this.digests.set(key, digest);
    return { digest, archive };
  }

  private fileOf(digest: string): string {
    return join(this.options.cacheDir, `${digest.replace(':', '-')}.tgz`);
  }

  private async cached(digest: string): Promise<Buffer | undefined> {
    try {
      const archive = await readFile(this.fileOf(digest));
      // A damaged cache entry is fetched again rather than rendered.
      return `sha256:${createHash('sha256').update(archive).digest('hex')}` === digest ? archive : undefined;
    } catch {
      return undefined;
    }
  }

  private async get(url: URL): Promise<Buffer> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'follow' });
    } catch (err) {
      throw new ChartRepositoryUnavailableError(`GET ${url.href}: ${(err as Error).message}`, { cause: err });
    }
    if (!response.ok) throw new ChartRepositoryUnavailableError(`GET ${url.href}: HTTP ${response.status}`);
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > this.options.maxBytes) {
      throw new ChartRepositoryUnavailableError(
        `GET ${url.href}: ${length} bytes, above the limit of ${this.options.maxBytes}`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > this.options.maxBytes) {
        throw new ChartRepositoryUnavailableError(`GET ${url.href}: more than ${this.options.maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }
}
