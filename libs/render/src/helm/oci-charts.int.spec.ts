import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';

import { startOciRegistry, type OciRegistry } from '@flotilla/testing';

import { ChartRepositoryUnavailableError } from '../errors';
import { ToolSlots } from '../sandbox/run-tool';
import { fixturesDir, k8sTools } from '../testing/render-harness';
import { isLoopbackHost, OciChartFetcher } from './oci-charts';

/** Async: the registry answers in this process, so a synchronous child would block it. */
const execFileAsync = promisify(execFile);

jest.setTimeout(120_000);

describe('charts from an OCI registry, pulled with the real helm (a registry on loopback loaded with helm push)', () => {
  let registry: OciRegistry;
  let helm: string;
  let dir: string;
  const fetcher = (overrides: { cacheDir?: string; maxBytes?: number } = {}) =>
    new OciChartFetcher(
      {
        helm,
        cacheDir: overrides.cacheDir ?? join(dir, 'cache'),
        scratchDir: join(dir, 'scratch'),
        timeoutMs: 30_000,
        maxBytes: overrides.maxBytes ?? 10 * 1024 * 1024,
        plainHttpHosts: [],
      },
      new ToolSlots(2),
    );

  beforeAll(async () => {
    helm = k8sTools().helm;
    dir = mkdtempSync(join(tmpdir(), 'flotilla-oci-spec-'));
    registry = await startOciRegistry();
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HELM_CACHE_HOME: dir,
      HELM_CONFIG_HOME: dir,
      HELM_DATA_HOME: dir,
      HELM_REGISTRY_CONFIG: join(dir, 'registry.json'),
    };
    execFileSync(helm, ['package', join(fixturesDir, 'repo-charts', 'greeter'), '--destination', dir], { env });
    await execFileAsync(
      helm,
      ['push', join(dir, 'greeter-0.4.1.tgz'), `oci://${registry.host}/charts`, '--plain-http'],
      {
        env,
      },
    );
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const reference = (version = '0.4.1') => ({
    repository: `oci://${registry.host}/charts`,
    name: 'greeter',
    version,
  });

  it('given a pushed chart, when fetched twice, then helm pulls it once and both give the archive under the manifest digest', async () => {
    const charts = fetcher();
    const before = registry.blobDownloads();
    const first = await charts.fetch(reference());
    const second = await charts.fetch(reference());
    const manifestDigest = (
      await fetch(`http://${registry.host}/v2/charts/greeter/manifests/0.4.1`, { method: 'HEAD' })
    ).headers.get('docker-content-digest');
    expect(first.digest).toBe(manifestDigest);
    expect(second.digest).toBe(first.digest);
    expect(Buffer.from(second.archive).equals(Buffer.from(first.archive))).toBe(true);
    // The config blob and the chart layer, once.
    expect(registry.blobDownloads() - before).toBe(2);
  });

  it('given a damaged cache entry, when fetched, then it is pulled again rather than rendered', async () => {
    const cacheDir = join(dir, 'cache-damaged');
    const charts = fetcher({ cacheDir });
    const { digest } = await charts.fetch(reference());
    writeFileSync(join(cacheDir, `oci-${digest.replace(':', '-')}.tgz`), 'not a chart');
    const before = registry.blobDownloads();
    const again = await charts.fetch(reference());
    expect(Buffer.from(again.archive).subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(registry.blobDownloads() - before).toBe(2);
  });

  it('given a version the registry lacks or an archive above the limit, when fetched, then the error says so', async () => {
    await expect(fetcher().fetch(reference('9.9.9'))).rejects.toThrow(
      expect.objectContaining({
        constructor: ChartRepositoryUnavailableError,
        message: expect.stringMatching(
          /helm pull oci:\/\/127\.0\.0\.1:\d+\/charts\/greeter --version 9\.9\.9: .*not found/,
        ),
      }),
    );
    await expect(fetcher({ cacheDir: join(dir, 'cache-small'), maxBytes: 100 }).fetch(reference())).rejects.toThrow(
      ChartRepositoryUnavailableError,
    );
  });

  it('given a registry that is not on loopback, when fetched, then helm is not told to use plain HTTP (TLS is tried and fails)', async () => {
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackHost('[::1]:5000')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('registry.example:5000')).toBe(false);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    // The same registry reached by a name that is not loopback-by-rule: TLS against a plain HTTP server fails.
    const port = registry.host.split(':')[1];
    const charts = fetcher({ cacheDir: join(dir, 'cache-tls') });
    await expect(
      charts.fetch({ repository: `oci://127.0.0.1.nip.invalid:${port}/charts`, name: 'greeter', version: '0.4.1' }),
    ).rejects.toThrow(ChartRepositoryUnavailableError);
  });
});
