import { posix } from 'node:path';

import { normaliseSourcePath, renderBundle } from '@flotilla/manifests';

import { kustomizeRoot } from './roots';
import { kustomizationReferences } from './kustomization-refs';
import { kustomizationFileNames } from '../detect';
import { textOf } from '../plain.renderer';
import type { RenderOutcome, RenderProblem, RenderRequest, Renderer, RendererInfo } from '../renderer.port';
import { runTool, type ToolSlots } from '../sandbox/run-tool';
import { Scratch, type SourceFile } from '../sandbox/scratch';
import type { ToolSettings } from '../tools';

/** Directories pulled in for bases outside the application path before giving up (a cycle, a huge tree). */
const maxLoadRounds = 16;

/**
 * `kubectl kustomize` (kustomize v5) on a scratch copy of the commit: the application path,
 * or the target's overlay under it, plus the bases and components it refers to. The load
 * restrictor stays on, plugins (exec, KRM functions) and helm inflation stay off (their
 * flags are never passed), remote bases are refused before the tool runs and the tool has
 * no network. Its output is then customised like plain manifests (variables, target
 * patches, namespace).
 */
export class KustomizeRenderer implements Renderer {
  readonly kind = 'kustomize' as const;

  constructor(
    private readonly settings: ToolSettings,
    private readonly slots: ToolSlots,
  ) {}

  private info(): RendererInfo {
    return { kind: 'kustomize', tool: `kustomize ${this.settings.versions.kustomize ?? 'unknown'}` };
  }

  async render(request: RenderRequest): Promise<RenderOutcome> {
    const info = this.info();
    const fail = (errors: RenderProblem[]): RenderOutcome => ({ ok: false, errors, renderer: info });
    const root = kustomizeRoot(request.application.spec.path, request.target.overlay);
    const collected = await this.collect(request, root);
    if ('errors' in collected) return fail(collected.errors);

    const scratch = await Scratch.create(this.settings.scratchDir);
    try {
      await scratch.write(collected.files);
      const result = await this.slots.run(() =>
        runTool({
          command: this.settings.kubectl!,
          args: ['kustomize', scratch.pathOf(root || '.'), '--load-restrictor', 'LoadRestrictionsRootOnly'],
          cwd: scratch.dir,
          env: this.settings.env(scratch.dir),
          timeoutMs: this.settings.timeoutMs,
          maxOutputBytes: this.settings.maxOutputBytes,
          isolateNetwork: this.settings.isolateNetwork,
          rlimits: { addressSpaceBytes: this.settings.maxMemoryBytes },
        }),
      );
      if (!result.ok) {
        const reason = result.message
          .split(scratch.pathOf('.'))
          .join('')
          .replace(/^Error: /, '');
        return fail([
          {
            code: `kustomize-${result.reason}`,
            file: kustomizationOf(root, collected.files),
            documentIndex: null,
            reason,
          },
        ]);
      }
      const rendered = renderBundle({
        files: [],
        path: root,
        target: { namespace: request.target.namespace, patches: request.target.patches },
        cluster: request.cluster,
        limits: request.limits,
        generated: {
          files: [{ path: `${root || '.'}/(kustomize build)`, content: result.stdout }],
          substituteVariables: true,
        },
      });
      return { ...rendered, renderer: info };
    } finally {
      await scratch.remove();
    }
  }

  /** The application's files plus every local directory its kustomizations refer to, or why not. */
  private async collect(
    request: RenderRequest,
    root: string,
  ): Promise<{ files: SourceFile[] } | { errors: RenderProblem[] }> {
    const files = new Map(request.files.map((file) => [normaliseSourcePath(file.path), file]));
    if (!kustomizationOf(root, [...files.values()])) {
      return {
        errors: [
          {
            code: 'no-kustomization',
            file: null,
            documentIndex: null,
            reason: `${root || 'the source root'} holds no ${kustomizationFileNames.join(', ')}`,
          },
        ],
      };
    }
    const exists = (path: string) =>
      files.has(path) || [...files.keys()].some((file) => path === '' || file.startsWith(`${path}/`));
    const scanned = new Set<string>();
    const tried = new Set<string>();
    for (let round = 0; round < maxLoadRounds; round++) {
      const errors: RenderProblem[] = [];
      const missing = new Set<string>();
      for (const [path, file] of files) {
        if (scanned.has(path) || !kustomizationFileNames.includes(posix.basename(path) as never)) continue;
        scanned.add(path);
        const references = kustomizationReferences(path, textOf(file.content));
        if ('error' in references) {
          errors.push({ code: 'invalid-yaml', file: path, documentIndex: 0, reason: references.error });
          continue;
        }
        for (const reference of references) {
          if (reference.kind === 'refused') {
            errors.push({
              code: reference.field === 'helmCharts' ? 'kustomize-helm-refused' : 'kustomize-reference-refused',
              file: path,
              documentIndex: null,
              reason: `${reference.field}${reference.value ? ` ${JSON.stringify(reference.value)}` : ''} ${reference.reason}`,
            });
          } else if (!exists(reference.path) && !tried.has(reference.path)) {
            missing.add(reference.path);
          }
        }
      }
      if (errors.length > 0) return { errors };
      if (missing.size === 0) return { files: [...files.values()] };
      if (!request.loadDirectory) return { files: [...files.values()] };
      for (const dir of missing) {
        tried.add(dir);
        // A file reference outside the loaded tree: its directory is what kustomize reads.
        const loaded = await request.loadDirectory(dir);
        const chosen = loaded.length > 0 ? loaded : await request.loadDirectory(posix.dirname(dir));
        for (const file of chosen) files.set(normaliseSourcePath(file.path), file);
      }
    }
    return { files: [...files.values()] };
  }
}

function kustomizationOf(root: string, files: readonly SourceFile[]): string | null {
  const paths = new Set(files.map((file) => normaliseSourcePath(file.path)));
  for (const name of kustomizationFileNames) {
    const path = normaliseSourcePath(root ? `${root}/${name}` : name);
    if (paths.has(path)) return path;
  }
  return null;
}
