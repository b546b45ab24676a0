// Canonical JSON (RFC 8785, JCS): the byte string the hash chain is computed over. It has
// to be reproducible from what Postgres hands back (jsonb reorders keys and drops
// duplicates) and by an auditor in another language, so keys are sorted by UTF-16 code
// units and numbers and strings are written as ECMAScript JSON.stringify writes them,
// which is exactly what JCS specifies.

import { InvalidEventError } from '../errors';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The JSON value a caller's data becomes once stored: `toJSON` applied, `undefined`
 * members dropped, non-finite numbers turned to null. Hashing this (rather than the raw
 * input) is what makes a hash computed before the insert match the row read back.
 */
export function toJsonValue(value: unknown, what = 'value'): JsonValue {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new InvalidEventError(`${what} is not JSON-serialisable (got ${typeof value})`);
  }
  // Postgres jsonb refuses \u0000 in strings; refuse it here so both adapters agree.
  // An escaped NUL is `\u0000` after an even number of backslashes (an odd one escapes the `\`).
  if (/(?:^|[^\\])(?:\\\\)*\\u0000/.test(text)) {
    throw new InvalidEventError(`${what} contains a NUL character, which the log cannot store`);
  }
  return JSON.parse(text) as JsonValue;
}

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`;
  }
  return `${out}}`;
}

/**
 * Canonical JSON of a caller's value straight away, as `canonicalJson(toJsonValue(value))`
 * would write it (same toJSON, undefined and non-finite rules, same refusal of NUL), without
 * building the intermediate copy: the append path serialises every event once.
 */
export function canonicalJsonOf(value: unknown, what = 'value'): string {
  const text = canonicalize(value, '', what);
  if (text === undefined) throw new InvalidEventError(`${what} is not JSON-serialisable (got ${typeof value})`);
  return text;
}

function canonicalize(value: unknown, key: string, what: string): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000'))
        throw new InvalidEventError(`${what} contains a NUL character, which the log cannot store`);
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new InvalidEventError(`${what} holds a bigint, which JSON cannot carry`);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += canonicalize(value[i], String(i), what) ?? 'null';
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const member = canonicalize(record[k], k, what);
        if (member === undefined) continue;
        if (k.includes('\u0000'))
          throw new InvalidEventError(`${what} contains a NUL character, which the log cannot store`);
        out += `${first ? '' : ','}${JSON.stringify(k)}:${member}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      // undefined, functions and symbols: dropped from objects, null in arrays, as JSON.stringify does.
      return undefined;
  }
}
