// Secrets travel to agents inside bundles, but never into logs or events: anything written
// there goes through redactSecrets first (the event log itself only holds bundle digests).

import { cloneJson, getMember, isJsonObject, setMember, type JsonObject } from './json';

export const redacted = '[REDACTED]';

// kubectl's client-side apply copies the whole object, data included, into this annotation.
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

// Any group: over-redacting a log line costs nothing, leaking a credential does.
function isSecret(object: JsonObject): boolean {
  return getMember(object, 'kind') === 'Secret';
}

/** A copy of `objects` in which every Secret's data and stringData values read '[REDACTED]' (the keys stay visible). */
export function redactSecrets<T extends JsonObject>(objects: readonly T[]): T[] {
  return objects.map((object) => {
    const copy = cloneJson(object);
    if (!isSecret(copy)) return copy;
    for (const field of ['data', 'stringData']) {
      const values = getMember(copy, field);
      if (!isJsonObject(values)) continue;
      for (const key of Object.keys(values)) setMember(values, key, redacted);
    }
    const metadata = getMember(copy, 'metadata');
    const annotations = isJsonObject(metadata) ? getMember(metadata, 'annotations') : undefined;
    if (isJsonObject(annotations) && getMember(annotations, lastAppliedAnnotation) !== undefined) {
      setMember(annotations, lastAppliedAnnotation, redacted);
    }
    return copy;
  });
}
