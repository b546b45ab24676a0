import {
  normaliseSourcePath,
  type ApplicationSpec,
  type ApplicationTarget,
  type RendererKind,
} from '@flotilla/manifests';

import type { SourceFile } from './sandbox/scratch';

export const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

function join(...parts: string[]): string {
  return normaliseSourcePath(parts.filter((part) => part !== '').join('/'));
}

/**
 * The renderer an application uses: the one it names, else Helm when a chart is fetched or
 * the path holds Chart.yaml, Kustomize when the path (or the target's overlay) holds a
 * kustomization file, else plain manifests.
 */
export function detectRenderer(
  spec: Pick<ApplicationSpec, 'renderer' | 'chart' | 'path'>,
  target: Pick<ApplicationTarget, 'overlay'>,
  files: readonly SourceFile[],
): RendererKind {
  if (spec.renderer) return spec.renderer;
  if (spec.chart) return 'helm';
  const paths = new Set(files.map((file) => normaliseSourcePath(file.path)));
  if (paths.has(join(spec.path, 'Chart.yaml'))) return 'helm';
  const root = join(spec.path, target.overlay ?? '');
  if (target.overlay !== undefined || kustomizationFileNames.some((name) => paths.has(join(root, name))))
    return 'kustomize';
  return 'plain';
}
