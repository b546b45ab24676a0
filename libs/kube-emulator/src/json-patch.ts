// RFC 7386 JSON merge patch and RFC 6902 JSON patch on plain JSON values.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class JsonPatchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JsonPatchError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parent(doc: unknown, tokens: string[], path: string): { container: unknown; last: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw new JsonPatchError(`doc is missing path: "${path}"`);
  }
  return { container: node, last: tokens[tokens.length - 1]! };
}

function get(doc: unknown, path: string): unknown {
  let node = doc;
  for (const token of parsePointer(path)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}

function arrayIndex(arr: unknown[], token: string, path: string, forInsert: boolean): number {
  if (token === '-' && forInsert) return arr.length;
  if (!/^\d+$/.test(token)) throw new JsonPatchError(`invalid array index "${token}" in "${path}"`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length))
    throw new JsonPatchError(`array index out of bounds in "${path}"`);
  return i;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const { container, last } = parent(doc, tokens, path);
  if (Array.isArray(container)) container.splice(arrayIndex(container, last, path, true), 0, structuredClone(value));
  else if (isObject(container)) container[last] = structuredClone(value);
  else throw new JsonPatchError(`doc is missing path: "${path}"`);
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  const { container, last } = parent(doc, tokens, path);
  if (Array.isArray(container)) container.splice(arrayIndex(container, last, path, false), 1);
  else if (isObject(container) && Object.prototype.hasOwnProperty.call(container, last)) delete container[last];
  else throw new JsonPatchError(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  return v;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations))
    throw new JsonPatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc: unknown = structuredClone(target);
  for (const raw of operations as Operation[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw new JsonPatchError('invalid operation');
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, raw.value);
        break;
      case 'remove':
        doc = remove(doc, raw.path);
        break;
      case 'replace':
        if (get(doc, raw.path) === undefined)
          throw new JsonPatchError(`replace operation does not apply: doc is missing key: ${raw.path}: missing value`);
        doc = remove(doc, raw.path);
        doc = add(doc, raw.path, raw.value);
        break;
      case 'move': {
        const value = get(doc, raw.from ?? '');
        if (value === undefined)
          throw new JsonPatchError(`move operation does not apply: doc is missing from path: ${raw.from}`);
        doc = remove(doc, raw.from!);
        doc = add(doc, raw.path, value);
        break;
      }
      case 'copy': {
        const value = get(doc, raw.from ?? '');
        if (value === undefined)
          throw new JsonPatchError(`copy operation does not apply: doc is missing from path: ${raw.from}`);
        doc = add(doc, raw.path, value);
        break;
      }
      case 'test':
        if (!deepEqual(get(doc, raw.path), raw.value))
          throw new JsonPatchError(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw new JsonPatchError(`Unexpected kind: ${raw.op}`);
    }
  }
  return doc as Json;
}
