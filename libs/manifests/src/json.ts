// Plain JSON values and the few operations on them that manifests need. Manifests come from
// YAML and JSON written by users, so a key such as `__proto__` is ordinary data here: every
// write goes through setMember so that it never reaches an object's prototype.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function hasMember(object: JsonObject, key: string): boolean {
  return Object.hasOwn(object, key);
}

export function getMember(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

export function setMember(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

export function deleteMember(object: JsonObject, key: string): void {
  delete object[key];
}

export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (isJsonObject(value)) {
    const copy: JsonObject = {};
    for (const key of Object.keys(value)) setMember(copy, key, cloneJson(value[key]!));
    return copy as T;
  }
  return value;
}

/** Equality as RFC 6902 `test` defines it: members unordered, array items ordered, no type coercion. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]!));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => hasMember(b, key) && jsonEqual(a[key]!, b[key]!));
  }
  return false;
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, strings and numbers
 * as JSON.stringify writes them (RFC 8785 for the values manifests hold). The bundle digest is
 * computed over these bytes, so an agent or an auditor can recompute it in any language.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
}

/**
 * Deeper than any real manifest (CRD schemas reach a few dozen levels); it bounds the
 * recursion of every later step, so a hostile document fails as bad input, not a crash.
 */
const maxNestingDepth = 256;

/** Why a parsed value is not plain JSON, or undefined when it is (YAML can yield dates, binary, sets, NaN). */
export function nonJsonReason(value: unknown, at = '', depth = 0): string | undefined {
  if (depth > maxNestingDepth) return `${at} is nested more than ${maxNestingDepth} levels deep`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${at || '/'} is ${value}, which JSON cannot carry`;
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const reason = nonJsonReason(value[i], `${at}/${i}`, depth + 1);
          if (reason) return reason;
        }
        return undefined;
      }
      if (value instanceof Uint8Array)
        return `${at || '/'} is binary data (!!binary), which JSON cannot carry: write a base64 string`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        return `${at || '/'} is a ${(value as object).constructor?.name ?? 'non-plain object'}, which JSON cannot carry`;
      }
      for (const key of Object.keys(value)) {
        const reason = nonJsonReason(
          (value as Record<string, unknown>)[key],
          `${at}/${escapePointerToken(key)}`,
          depth + 1,
        );
        if (reason) return reason;
      }
      return undefined;
    }
    default:
      return `${at || '/'} is a ${typeof value}, which JSON cannot carry`;
  }
}

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
