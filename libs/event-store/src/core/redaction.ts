// Secrets never enter the log. Which fields are secret is declared per event type and
// explicitly: guessing by key name (password, token...) would redact too much in one place
// and too little in another, and a silent miss is worse than a reviewed list.

import type { JsonValue } from './canonical-json';
import { InvalidEventError } from '../errors';

/** `{ ClusterRegistered: ['registration.token', 'kubeconfig.users.*.token'] }`; `*` matches every key or element. */
export type SecretFields = Readonly<Record<string, readonly string[]>>;

export const redactedValue = '[REDACTED]';

export function validateSecretFields(secretFields: SecretFields): void {
  for (const [type, paths] of Object.entries(secretFields)) {
    for (const path of paths) {
      if (path.length === 0 || path.split('.').some((segment) => segment.length === 0)) {
        throw new InvalidEventError(`secret field path ${JSON.stringify(path)} of ${type} is malformed`);
      }
    }
  }
}

/** Replaces, in place, every value the paths reach with `[REDACTED]`. Absent paths are left alone. */
export function redactInPlace(data: JsonValue, paths: readonly string[]): void {
  for (const path of paths) {
    redactPath(data, path.split('.'), 0);
  }
}

function redactPath(node: JsonValue, segments: string[], index: number): void {
  if (node === null || typeof node !== 'object') return;
  const segment = segments[index]!;
  const last = index === segments.length - 1;
  const keys = segment === '*' ? Object.keys(node) : [segment];
  for (const key of keys) {
    if (Array.isArray(node)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= node.length) continue;
      if (last) node[i] = redactedValue;
      else redactPath(node[i]!, segments, index + 1);
    } else {
      if (!Object.hasOwn(node, key)) continue;
      if (last) node[key] = redactedValue;
      else redactPath(node[key]!, segments, index + 1);
    }
  }
}
