// RFC 7386 JSON merge patch, as its section 2 pseudocode defines it. It cannot fail: any
// JSON value is a valid merge patch (a non-object patch replaces the target).

import { cloneJson, getMember, isJsonObject, setMember, deleteMember, type JsonObject, type JsonValue } from './json';

/** The patched value; neither argument is modified. */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) {
      deleteMember(result, key);
    } else {
      setMember(result, key, applyMergePatch(getMember(result, key), value));
    }
  }
  return result;
}
