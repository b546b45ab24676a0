import { renderBundle } from '@flotilla/manifests';

import type { RenderOutcome, RenderRequest, Renderer } from './renderer.port';

/**
 * Plain YAML and JSON manifests under the application path, chosen by its directory rules.
 * Pure and small (the files are at most a few megabytes): no tool, no child process.
 */
export class PlainRenderer implements Renderer {
  readonly kind = 'plain' as const;

  async render(request: RenderRequest): Promise<RenderOutcome> {
    const { spec } = request.application;
    const result = renderBundle({
      files: request.files.map((file) => ({ path: file.path, content: textOf(file.content) })),
      path: spec.path,
      target: request.target,
      cluster: request.cluster,
      limits: request.limits,
      directory: spec.directory,
    });
    return { ...result, renderer: { kind: 'plain' } };
  }
}

export function textOf(content: string | Uint8Array): string {
  return typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
}
