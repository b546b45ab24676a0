// Patches as the API server answers them: the RFC 6902 and RFC 7386 semantics are
// @flotilla/manifests' (one implementation in the codebase); what is the emulator's own is the
// server's wording of a failed patch (evanphx/json-patch's), which the conformance suite
// compares with the real kube-apiserver's.

import {
  applyJsonPatch as applyRfc6902,
  applyMergePatch,
  JsonPatchError as ManifestsJsonPatchError,
  type JsonPatchOperation,
  type JsonValue,
} from '@flotilla/manifests';

export class JsonPatchError extends Error {
  override readonly name = 'JsonPatchError';
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  return applyMergePatch(target as JsonValue, patch as JsonValue);
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations))
    throw new JsonPatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return applyRfc6902(target as JsonValue, operations as JsonPatchOperation[]);
  } catch (err) {
    if (!(err instanceof ManifestsJsonPatchError)) throw err;
    throw new JsonPatchError(serverWording(operations[err.operationIndex], err.message), { cause: err });
  }
}

function serverWording(operation: unknown, fallback: string): string {
  const { op, path, from } = (operation ?? {}) as { op?: unknown; path?: unknown; from?: unknown };
  const last = typeof path === 'string' ? path.slice(path.lastIndexOf('/') + 1) : '';
  switch (op) {
    case 'test':
      return `testing value ${String(path)} failed: test failed`;
    case 'remove':
      return `Unable to remove nonexistent key: ${last}: missing value`;
    case 'replace':
      return `replace operation does not apply: doc is missing key: ${String(path)}: missing value`;
    case 'move':
    case 'copy':
      return `${op} operation does not apply: doc is missing from path: ${String(from)}`;
    case 'add':
      return `doc is missing path: "${String(path)}"`;
    default:
      return typeof op === 'string' && !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)
        ? `Unexpected kind: ${op}`
        : fallback;
  }
}
