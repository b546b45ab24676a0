// RFC 6902 JSON patch. A patch is atomic: it is applied to a copy, and either every
// operation succeeds and the copy is returned, or a JsonPatchError names the failing one
// and the input is untouched.

import { JsonPatchError } from './errors';
import { parseJsonPointer } from './json-pointer';
import {
  cloneJson,
  getMember,
  hasMember,
  isJsonObject,
  jsonEqual,
  setMember,
  deleteMember,
  type JsonValue,
} from './json';

export type JsonPatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'replace'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'move'; readonly from: string; readonly path: string }
  | { readonly op: 'copy'; readonly from: string; readonly path: string }
  | { readonly op: 'test'; readonly path: string; readonly value: JsonValue };

export const jsonPatchOps = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

/** The patched document; `document` is not modified. Members an operation does not define are ignored (RFC 6902 section 4). */
export function applyJsonPatch(document: JsonValue, patch: readonly JsonPatchOperation[]): JsonValue {
  let doc = cloneJson(document);
  patch.forEach((operation, index) => {
    try {
      doc = applyOperation(doc, operation);
    } catch (error) {
      if (error instanceof JsonPatchError) throw error;
      throw new JsonPatchError(`operation ${index} (${describe(operation)}): ${(error as Error).message}`, index, {
        cause: error,
      });
    }
  });
  return doc;
}

function describe(operation: JsonPatchOperation): string {
  const op = operation as { op?: unknown; path?: unknown; from?: unknown };
  const from = typeof op.from === 'string' ? ` from ${op.from}` : '';
  return `${String(op.op)} ${String(op.path)}${from}`;
}

function requirePointer(operation: object, member: 'path' | 'from'): string[] {
  const pointer = (operation as Record<string, unknown>)[member];
  if (typeof pointer !== 'string') throw new Error(`"${member}" must be a string`);
  return parseJsonPointer(pointer);
}

function requireValue(operation: object): JsonValue {
  if (!Object.hasOwn(operation, 'value')) throw new Error('"value" is missing');
  return (operation as { value: JsonValue }).value;
}

function applyOperation(doc: JsonValue, operation: JsonPatchOperation): JsonValue {
  switch (operation.op) {
    case 'add':
      return add(doc, requirePointer(operation, 'path'), cloneJson(requireValue(operation)));
    case 'remove':
      return remove(doc, requirePointer(operation, 'path')).doc;
    case 'replace': {
      const path = requirePointer(operation, 'path');
      const value = cloneJson(requireValue(operation));
      get(doc, path);
      return path.length === 0 ? value : add(remove(doc, path).doc, path, value);
    }
    case 'move': {
      const from = requirePointer(operation, 'from');
      const path = requirePointer(operation, 'path');
      if (from.length < path.length && from.every((token, i) => token === path[i])) {
        throw new Error('"from" is a proper prefix of "path": a value cannot be moved into one of its children');
      }
      const removed = remove(doc, from);
      return add(removed.doc, path, removed.value);
    }
    case 'copy': {
      const from = requirePointer(operation, 'from');
      return add(doc, requirePointer(operation, 'path'), cloneJson(get(doc, from)));
    }
    case 'test': {
      const path = requirePointer(operation, 'path');
      const expected = requireValue(operation);
      const actual = get(doc, path);
      if (!jsonEqual(actual, expected)) {
        throw new Error(`value is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
      }
      return doc;
    }
    default:
      throw new Error(`unknown operation ${JSON.stringify((operation as { op?: unknown }).op)}`);
  }
}

function arrayIndex(array: JsonValue[], token: string, allowEnd: boolean): number {
  if (token === '-' && allowEnd) return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`"${token}" is not an array index`);
  const index = Number(token);
  if (index > array.length || (index === array.length && !allowEnd)) {
    throw new Error(`array index ${index} is out of bounds (length ${array.length})`);
  }
  return index;
}

function get(doc: JsonValue, path: readonly string[]): JsonValue {
  let current = doc;
  for (const token of path) {
    if (Array.isArray(current)) {
      current = current[arrayIndex(current, token, false)]!;
    } else if (isJsonObject(current) && hasMember(current, token)) {
      current = current[token]!;
    } else {
      throw new Error(`path does not exist (no "${token}")`);
    }
  }
  return current;
}

function parentOf(doc: JsonValue, path: readonly string[]): JsonValue {
  try {
    return get(doc, path.slice(0, -1));
  } catch (error) {
    throw new Error(`parent of the path does not exist: ${(error as Error).message}`, { cause: error });
  }
}

function add(doc: JsonValue, path: readonly string[], value: JsonValue): JsonValue {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, last, true), 0, value);
  } else if (isJsonObject(parent)) {
    setMember(parent, last, value);
  } else {
    throw new Error(`parent of the path is a ${parent === null ? 'null' : typeof parent}, not an object or array`);
  }
  return doc;
}

function remove(doc: JsonValue, path: readonly string[]): { doc: JsonValue; value: JsonValue } {
  if (path.length === 0) throw new Error('the whole document cannot be removed');
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const [value] = parent.splice(arrayIndex(parent, last, false), 1);
    return { doc, value: value! };
  }
  if (isJsonObject(parent) && hasMember(parent, last)) {
    const value = getMember(parent, last)!;
    deleteMember(parent, last);
    return { doc, value };
  }
  throw new Error(`path does not exist (no "${last}")`);
}
