// Rendering: the manifests under an application's path, customised for one cluster, into a
// content-addressed bundle. All or nothing: any bad document, variable or patch makes the
// whole render fail with every error found, so a bad commit never half-applies and the
// cluster keeps its last good bundle.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';

import type { DirectoryRules } from './application-spec';
import { JsonPatchError, ManifestsError } from './errors';
import { applyJsonPatch, type JsonPatchOperation } from './json-patch';
import {
  canonicalJson,
  getMember,
  isJsonObject,
  nonJsonReason,
  setMember,
  type JsonObject,
  type JsonValue,
} from './json';
import { builtInClusterScopedKinds, apiGroup, groupKind } from './kinds';
import { applyMergePatch } from './merge-patch';
import { substituteString, substituteVariables, type ClusterVariables } from './variables';
import { parseYamlDocuments, type ParsedDocument } from './yaml-documents';

export type ManifestObject = JsonObject & {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string; namespace?: string };
};

export interface ManifestFile {
  readonly path: string;
  readonly content: string;
}

/** How a renderer other than plain YAML made the documents (kustomize, helm); recorded with the bundle. */
export interface GeneratedDocuments {
  /** Every document the tool printed, attributed to the file it came from where the tool says so. */
  readonly files: readonly ManifestFile[];
  /** Whether `${cluster.*}` is substituted in their string values (kustomize: yes, as plain; helm: no, its values carry them). */
  readonly substituteVariables: boolean;
}

/** A patch of an application target (the shape parseApplicationSpec returns). */
export interface BundlePatch {
  readonly target: { readonly kind: string; readonly name?: string | undefined; readonly group?: string | undefined };
  readonly merge?: JsonObject | undefined;
  readonly jsonPatch?: readonly JsonPatchOperation[] | undefined;
}

/** The per-target customisation (an ApplicationTarget fits). */
export interface BundleCustomisation {
  readonly namespace?: string | undefined;
  readonly patches?: readonly BundlePatch[] | undefined;
}

export interface RenderInput {
  /** The source's files at one commit, keyed by path relative to the source root. */
  readonly files: ReadonlyMap<string, string> | readonly ManifestFile[];
  /** The application path (directory) inside the source; "" or "." for its root. */
  readonly path: string;
  readonly target: BundleCustomisation;
  readonly cluster: ClusterVariables;
  readonly limits: { readonly maxBundleBytes: number };
  /** Cluster-scoped kinds beyond the built-in ones and the CRDs in the bundle (`<group>/<Kind>`), e.g. from the cluster's discovery. */
  readonly clusterScopedKinds?: Iterable<string>;
  /** Which files under `path` are manifests (plain directories); every .yaml/.yml/.json file, recursively, by default. */
  readonly directory?: Partial<DirectoryRules> | undefined;
  /** Documents a tool rendered: used instead of the files under `path`, then customised the same way. */
  readonly generated?: GeneratedDocuments | undefined;
}

export type RenderErrorCode =
  | 'duplicate-file'
  | 'empty-file'
  | 'not-a-manifest'
  | 'invalid-yaml'
  | 'invalid-object'
  | 'unknown-variable'
  | 'patch-failed'
  | 'patch-selected-nothing'
  | 'invalid-namespace'
  | 'duplicate-object'
  | 'no-objects'
  | 'bundle-too-large';

export interface RenderError {
  readonly code: RenderErrorCode;
  /** Path of the file (relative to the source root), or null when the error is not about one document. */
  readonly file: string | null;
  /** 0-based index of the document in its file, counting empty documents, or null. */
  readonly documentIndex: number | null;
  /** Index of the target patch involved, when one is. */
  readonly patchIndex?: number;
  readonly reason: string;
}

export interface Bundle {
  readonly digest: `sha256:${string}`;
  /** Sorted by (API group, kind, namespace, name): the order the digest is computed over. */
  readonly objects: ManifestObject[];
  /** Size of the canonical JSON the digest is computed over. */
  readonly sizeBytes: number;
}

export type RenderResult =
  { readonly ok: true; readonly bundle: Bundle } | { readonly ok: false; readonly errors: RenderError[] };

/** The caller passed something that is not a render input at all (a bug, not bad manifests). */
export class InvalidRenderInputError extends ManifestsError {}

const manifestFile = /\.(ya?ml|json)$/;

/** Whether `path` (relative to the application path) is read under `rules`. */
export function selectedByDirectoryRules(relative: string, rules: Partial<DirectoryRules> | undefined): boolean {
  if (rules?.recursive === false && relative.includes('/')) return false;
  const include = rules?.include ?? [];
  const included =
    include.length === 0 ? manifestFile.test(relative) : include.some((glob) => posix.matchesGlob(relative, glob));
  return included && !(rules?.exclude ?? []).some((glob) => posix.matchesGlob(relative, glob));
}

/** Why a mapping is some tool's file rather than a Kubernetes object, for the error's hint. */
function notAManifestHint(path: string, value: JsonValue): string | undefined {
  if (!isJsonObject(value)) return undefined;
  if (getMember(value, 'apiVersion') !== undefined || getMember(value, 'kind') !== undefined) return undefined;
  const base = posix.basename(path);
  const what = /^(kustomization\.ya?ml|Kustomization)$/.test(base)
    ? 'a Kustomization without apiVersion and kind (render it with kustomize: point spec.path or a target overlay at its directory)'
    : /^(Chart\.ya?ml|values.*\.ya?ml)$/.test(base)
      ? 'a Helm chart file (render the chart with helm: point spec.path at the directory holding Chart.yaml)'
      : 'not a Kubernetes object (no apiVersion or kind)';
  return `${path} is ${what}; exclude it with spec.directory.exclude if it is not meant to be deployed`;
}
interface Located {
  readonly file: string;
  readonly documentIndex: number;
  object: ManifestObject;
}

export function normaliseSourcePath(path: string): string {
  return path
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}

function identityProblem(value: JsonValue): string | undefined {
  if (!isJsonObject(value))
    return `a manifest must be a mapping, found ${Array.isArray(value) ? 'a list' : typeof value}`;
  const missing: string[] = [];
  const apiVersion = getMember(value, 'apiVersion');
  const kind = getMember(value, 'kind');
  const metadata = getMember(value, 'metadata');
  if (typeof apiVersion !== 'string' || apiVersion === '') missing.push('apiVersion');
  if (typeof kind !== 'string' || kind === '') missing.push('kind');
  if (!isJsonObject(metadata)) {
    missing.push('metadata.name');
  } else {
    const name = getMember(metadata, 'name');
    if (typeof name !== 'string' || name === '') missing.push('metadata.name');
    const namespace = getMember(metadata, 'namespace');
    if (namespace !== undefined && namespace !== null && typeof namespace !== 'string') {
      return 'metadata.namespace must be a string';
    }
  }
  if (missing.length > 0) return `missing or not a non-empty string: ${missing.join(', ')}`;
  return undefined;
}

function describeObject(object: ManifestObject): string {
  const namespace = namespaceOf(object);
  return `${groupKind(object.apiVersion, object.kind)} ${namespace ? `${namespace}/` : ''}${object.metadata.name}`;
}

function namespaceOf(object: ManifestObject): string {
  const namespace = getMember(object.metadata, 'namespace');
  return typeof namespace === 'string' ? namespace : '';
}

function identityKey(object: ManifestObject): string {
  return [apiGroup(object.apiVersion), object.kind, namespaceOf(object), object.metadata.name].join('\u0000');
}

function compareObjects(a: ManifestObject, b: ManifestObject): number {
  const keysA = [apiGroup(a.apiVersion), a.kind, namespaceOf(a), a.metadata.name];
  const keysB = [apiGroup(b.apiVersion), b.kind, namespaceOf(b), b.metadata.name];
  for (let i = 0; i < keysA.length; i++) {
    // Code-unit order, not localeCompare: the digest must not depend on the host's locale.
    if (keysA[i]! < keysB[i]!) return -1;
    if (keysA[i]! > keysB[i]!) return 1;
  }
  return 0;
}

function sortedCanonical(objects: readonly ManifestObject[]): { sorted: ManifestObject[]; canonical: string } {
  const sorted = [...objects].sort(compareObjects);
  return { sorted, canonical: canonicalJson(sorted) };
}

/** The digest of a set of objects, in any order: how an agent or an auditor verifies a bundle. */
export function bundleDigest(objects: readonly ManifestObject[]): `sha256:${string}` {
  return `sha256:${createHash('sha256').update(sortedCanonical(objects).canonical, 'utf8').digest('hex')}`;
}

function listFiles(files: RenderInput['files']): ManifestFile[] {
  if (files instanceof Map) return [...files].map(([path, content]) => ({ path, content }));
  if (Array.isArray(files)) return [...(files as readonly ManifestFile[])];
  throw new InvalidRenderInputError('files must be a Map of path to content or an array of { path, content }');
}

function parseFile(path: string, content: string): ParsedDocument[] {
  if (!path.endsWith('.json')) return parseYamlDocuments(content);
  if (content.trim() === '') return [{ index: 0, empty: true }];
  let value: JsonValue;
  try {
    value = JSON.parse(content) as JsonValue;
  } catch (error) {
    return [{ index: 0, empty: false, error: `invalid JSON: ${(error as Error).message}` }];
  }
  const reason = nonJsonReason(value);
  return [reason ? { index: 0, empty: false, error: reason } : { index: 0, empty: false, value }];
}

function clusterScopedKindsOf(objects: readonly Located[], extra: Iterable<string> | undefined): Set<string> {
  const kinds = new Set(builtInClusterScopedKinds);
  for (const kind of extra ?? []) kinds.add(kind);
  for (const { object } of objects) {
    if (groupKind(object.apiVersion, object.kind) !== 'apiextensions.k8s.io/CustomResourceDefinition') continue;
    const spec = getMember(object, 'spec');
    if (!isJsonObject(spec) || getMember(spec, 'scope') !== 'Cluster') continue;
    const group = getMember(spec, 'group');
    const names = getMember(spec, 'names');
    const kind = isJsonObject(names) ? getMember(names, 'kind') : undefined;
    if (typeof group === 'string' && typeof kind === 'string') kinds.add(group === '' ? kind : `${group}/${kind}`);
  }
  return kinds;
}

function selects(patch: BundlePatch, object: ManifestObject): boolean {
  const { kind, name, group } = patch.target;
  return (
    object.kind === kind &&
    (name === undefined || object.metadata.name === name) &&
    (group === undefined || apiGroup(object.apiVersion) === group)
  );
}

function describePatch(patch: BundlePatch, index: number): string {
  const { kind, name, group } = patch.target;
  return `patch ${index} (${group ? `${group}/` : ''}${kind}${name ? ` ${name}` : ''})`;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Renders one (application, commit, cluster). Variables are substituted in string values
 * first, then the target's patches apply in order, then the target namespace is set on
 * namespaced objects that still have none. Identical renders have identical digests.
 */
export function renderBundle(input: RenderInput): RenderResult {
  const { maxBundleBytes } = input.limits;
  if (!Number.isSafeInteger(maxBundleBytes) || maxBundleBytes <= 0) {
    throw new InvalidRenderInputError(
      `limits.maxBundleBytes must be a positive integer, got ${String(maxBundleBytes)}`,
    );
  }
  const errors: RenderError[] = [];
  const root = normaliseSourcePath(input.path);

  const seenFiles = new Set<string>();
  const selected: ManifestFile[] = [];
  const generated = input.generated;
  for (const file of generated ? generated.files : listFiles(input.files)) {
    const path = normaliseSourcePath(file.path);
    if (generated) {
      selected.push({ path, content: file.content });
      continue;
    }
    if (seenFiles.has(path)) {
      errors.push({ code: 'duplicate-file', file: path, documentIndex: null, reason: `file ${path} was given twice` });
      continue;
    }
    seenFiles.add(path);
    const relative = root === '' ? path : path.startsWith(`${root}/`) ? path.slice(root.length + 1) : undefined;
    if (relative !== undefined && selectedByDirectoryRules(relative, input.directory))
      selected.push({ path, content: file.content });
  }
  // A tool's output keeps the tool's order (file names may repeat); files sort by path.
  if (!generated) selected.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const substitute = generated ? generated.substituteVariables : true;

  const objects: Located[] = [];
  let unreadableDocuments = 0;
  for (const file of selected) {
    const documents = parseFile(file.path, file.content);
    if (!generated && documents.every((document) => document.empty)) {
      // Reported, never skipped: an emptied file usually means a bad merge, and pruning would delete its objects.
      errors.push({
        code: 'empty-file',
        file: file.path,
        documentIndex: null,
        reason: `${file.path} holds no Kubernetes object; delete it, or exclude it with spec.directory.exclude`,
      });
      continue;
    }
    for (const document of documents) {
      if (document.empty) continue;
      const at = { file: file.path, documentIndex: document.index };
      if ('error' in document) {
        errors.push({ code: 'invalid-yaml', ...at, reason: document.error });
        unreadableDocuments++;
        continue;
      }
      const hint = notAManifestHint(file.path, document.value);
      if (hint) {
        errors.push({ code: 'not-a-manifest', ...at, reason: hint });
        unreadableDocuments++;
        continue;
      }
      const { value, problems } = substitute
        ? substituteVariables(document.value, input.cluster)
        : { value: document.value, problems: [] as string[] };
      for (const problem of problems) errors.push({ code: 'unknown-variable', ...at, reason: problem });
      const problem = identityProblem(value);
      if (problem) {
        errors.push({ code: 'invalid-object', ...at, reason: problem });
        unreadableDocuments++;
        continue;
      }
      if (problems.length === 0) objects.push({ ...at, object: value as ManifestObject });
      else unreadableDocuments++;
    }
  }

  (input.target.patches ?? []).forEach((rawPatch, patchIndex) => {
    const label = describePatch(rawPatch, patchIndex);
    // Values only: paths and `from` are addresses, checked when the application was parsed.
    const problems = new Set<string>();
    const substitute = (value: JsonValue): JsonValue => {
      const result = substituteVariables(value, input.cluster);
      for (const problem of result.problems) problems.add(problem);
      return result.value;
    };
    const merge = rawPatch.merge !== undefined ? (substitute(rawPatch.merge) as JsonObject) : null;
    const jsonPatch = (rawPatch.jsonPatch ?? []).map((operation) =>
      'value' in operation ? ({ ...operation, value: substitute(operation.value) } as JsonPatchOperation) : operation,
    );
    if (problems.size > 0) {
      for (const problem of problems) {
        errors.push({
          code: 'unknown-variable',
          file: null,
          documentIndex: null,
          patchIndex,
          reason: `${label}: ${problem}`,
        });
      }
      return;
    }
    const matched = objects.filter(({ object }) => selects(rawPatch, object));
    if (matched.length === 0) {
      const hint = unreadableDocuments > 0 ? ' (some documents could not be read; see the other errors)' : '';
      errors.push({
        code: 'patch-selected-nothing',
        file: null,
        documentIndex: null,
        patchIndex,
        reason: `${label} selects no object${hint}`,
      });
      return;
    }
    for (const located of matched) {
      const at = { file: located.file, documentIndex: located.documentIndex, patchIndex };
      let patched: JsonValue;
      try {
        patched = merge !== null ? applyMergePatch(located.object, merge) : applyJsonPatch(located.object, jsonPatch);
      } catch (error) {
        if (!(error instanceof JsonPatchError)) throw error;
        errors.push({
          code: 'patch-failed',
          ...at,
          reason: `${label} does not apply to ${describeObject(located.object)}: ${error.message}`,
        });
        continue;
      }
      const problem = identityProblem(patched);
      if (problem) {
        errors.push({ code: 'invalid-object', ...at, reason: `after ${label}: ${problem}` });
        continue;
      }
      located.object = patched as ManifestObject;
    }
  });

  if (input.target.namespace !== undefined) {
    const { text: namespace, problems } = substituteString(input.target.namespace, input.cluster);
    for (const problem of problems)
      errors.push({
        code: 'unknown-variable',
        file: null,
        documentIndex: null,
        reason: `target namespace: ${problem}`,
      });
    if (problems.length === 0 && !(namespace.length <= 63 && dnsLabel.test(namespace))) {
      errors.push({
        code: 'invalid-namespace',
        file: null,
        documentIndex: null,
        reason: `target namespace ${JSON.stringify(namespace)} is not a valid namespace name`,
      });
    } else if (problems.length === 0) {
      const clusterScoped = clusterScopedKindsOf(objects, input.clusterScopedKinds);
      for (const { object } of objects) {
        if (clusterScoped.has(groupKind(object.apiVersion, object.kind)) || namespaceOf(object) !== '') continue;
        setMember(object.metadata, 'namespace', namespace);
      }
    }
  }

  const firstSeen = new Map<string, Located>();
  for (const located of objects) {
    const key = identityKey(located.object);
    const first = firstSeen.get(key);
    if (first) {
      errors.push({
        code: 'duplicate-object',
        file: located.file,
        documentIndex: located.documentIndex,
        reason: `${describeObject(located.object)} is also defined in ${first.file} document ${first.documentIndex}`,
      });
    } else {
      firstSeen.set(key, located);
    }
  }

  const { sorted, canonical } = sortedCanonical(objects.map(({ object }) => object));
  const sizeBytes = Buffer.byteLength(canonical, 'utf8');
  if (sizeBytes > maxBundleBytes) {
    const largest = objects
      .map((located) => ({ located, size: Buffer.byteLength(canonicalJson(located.object), 'utf8') }))
      .sort((a, b) => b.size - a.size)
      .slice(0, 3)
      .map(({ located, size }) => `${describeObject(located.object)} in ${located.file} (${size} bytes)`);
    errors.push({
      code: 'bundle-too-large',
      file: null,
      documentIndex: null,
      reason: `the bundle is ${sizeBytes} bytes, above the limit of ${maxBundleBytes}; largest: ${largest.join(', ')}`,
    });
  }
  if (errors.length === 0 && objects.length === 0) {
    errors.push({
      code: 'no-objects',
      file: null,
      documentIndex: null,
      reason: generated
        ? 'the renderer produced no objects: an empty bundle would prune everything'
        : `no manifests under ${root === '' ? 'the source root' : root} (.yaml, .yml or .json files, or spec.directory's rules): an empty bundle would prune everything`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  const digest = `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}` as const;
  return { ok: true, bundle: { digest, objects: sorted, sizeBytes } };
}
