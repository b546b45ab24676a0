// What a kustomization refers to, read before kustomize runs: remote bases (kustomize would
// clone them over the network) and paths that leave the source are refused with a clear
// error, and local directories outside the application path are loaded into the scratch copy.

import { posix } from 'node:path';

import { parseDocument } from 'yaml';

export type Reference =
  | { readonly kind: 'local'; readonly path: string; readonly field: string }
  | { readonly kind: 'refused'; readonly field: string; readonly value: string; readonly reason: string };

// Fields holding kustomizations or files, by how kustomize reads them.
const listFields = [
  'resources',
  'bases',
  'components',
  'crds',
  'patchesStrategicMerge',
  'configurations',
  'transformers',
  'generators',
  'validators',
];
const pathObjectFields = ['patches', 'patchesJson6902', 'replacements'];
const generatorFields = ['configMapGenerator', 'secretGenerator'];

// kustomize's own notion of a remote target: a URL, scp-like git, or a host/org/repo path.
const remote = /^([a-z][a-z0-9+.-]*:\/\/|git@|git::|[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?\/)/i;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * The references of the kustomization file at `file` (a source path). `exists` says whether
 * a source path is a file or directory of the commit as loaded so far.
 */
export function kustomizationReferences(file: string, text: string): Reference[] | { error: string } {
  const document = parseDocument(text, { uniqueKeys: false });
  if (document.errors.length > 0) return { error: document.errors.map((e) => e.message.split('\n')[0]).join('; ') };
  const body = document.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
  if (body === null || typeof body !== 'object') return [];
  const dir = posix.dirname(file);
  const out: Reference[] = [];
  const add = (field: string, value: string) => {
    if (remote.test(value)) {
      out.push({
        kind: 'refused',
        field,
        value,
        reason: 'is a remote reference: the hub renders from the commit alone, with no network',
      });
    } else if (posix.isAbsolute(value)) {
      out.push({
        kind: 'refused',
        field,
        value,
        reason: 'is an absolute path: paths are relative to the kustomization',
      });
    } else {
      const path = posix.normalize(posix.join(dir, value));
      if (path === '..' || path.startsWith('../')) {
        out.push({ kind: 'refused', field, value, reason: 'leaves the source repository' });
      } else out.push({ kind: 'local', path, field });
    }
  };
  for (const field of listFields) for (const value of strings(body[field])) add(field, value);
  for (const field of pathObjectFields) {
    const entries = Array.isArray(body[field]) ? (body[field] as unknown[]) : [];
    for (const entry of entries) {
      const path = (entry as { path?: unknown } | null)?.path;
      if (typeof path === 'string') add(field, path);
    }
  }
  for (const field of generatorFields) {
    const entries = Array.isArray(body[field]) ? (body[field] as unknown[]) : [];
    for (const entry of entries) {
      const generator = (entry ?? {}) as { files?: unknown; envs?: unknown; env?: unknown };
      for (const value of strings(generator.files))
        add(field, value.includes('=') ? value.slice(value.indexOf('=') + 1) : value);
      for (const value of strings(generator.envs)) add(field, value);
      if (typeof generator.env === 'string') add(field, generator.env);
    }
  }
  if (body.helmCharts !== undefined || body.helmChartInflationGenerator !== undefined) {
    out.push({
      kind: 'refused',
      field: 'helmCharts',
      value: '',
      reason: 'inflates charts by running helm from kustomize: render the chart with the helm renderer instead',
    });
  }
  return out;
}
