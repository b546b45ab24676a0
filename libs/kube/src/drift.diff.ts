import { joinPointer, removePointer } from './json-pointer';
import type { DriftField } from './reconcile.events';
import { redactDriftFields } from './redaction';
import { groupKindOf, type KubeObject, type ResourceRef } from './resource-ref';

/**
 * Written by the API server or controllers on every change, never by us: comparing them
 * would make every object drift forever.
 */
const BOOKKEEPING = [
  '/metadata/resourceVersion',
  '/metadata/generation',
  '/metadata/managedFields',
  '/metadata/creationTimestamp',
  '/metadata/selfLink',
  '/metadata/uid',
  '/status',
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every path where `desired` and `live` differ, as JSON pointers; lists of different length differ as a whole. */
export function diffJson(desired: unknown, live: unknown, base = ''): DriftField[] {
  if (isObject(desired) && isObject(live)) {
    const out: DriftField[] = [];
    const keys = new Set([...Object.keys(desired), ...Object.keys(live)]);
    for (const key of [...keys].sort()) out.push(...diffJson(desired[key], live[key], joinPointer(base, key)));
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(live) && desired.length === live.length) {
    return desired.flatMap((d, i) => diffJson(d, live[i], joinPointer(base, i)));
  }
  return deepEqual(desired, live) ? [] : [{ path: base, desired, live }];
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export function ignoredPointers(
  ignoredFields: Record<string, string[]>,
  ref: Pick<ResourceRef, 'apiVersion' | 'kind'>,
): string[] {
  return [...(ignoredFields[groupKindOf(ref)] ?? []), ...(ignoredFields[ref.kind] ?? [])];
}

/**
 * Drift of one object: what applying git would change. `predicted` is the server's
 * dry-run of our apply (so defaulting, normalisation such as `cpu: 0.5` -> `500m`, and
 * fields other managers own are all exactly as the server would store them); anything
 * where it differs from `live` is a field we manage that someone else changed. Fields we
 * do not manage are the same on both sides, so an extra label added by kubectl, status
 * written by a controller or server defaults are never drift.
 */
export function computeDrift(
  ref: Pick<ResourceRef, 'apiVersion' | 'kind'>,
  predicted: KubeObject,
  live: KubeObject,
  ignoredFields: Record<string, string[]>,
): DriftField[] {
  const a = structuredClone(predicted) as unknown;
  const b = structuredClone(live) as unknown;
  for (const p of [...BOOKKEEPING, ...ignoredPointers(ignoredFields, ref)]) {
    removePointer(a, p);
    removePointer(b, p);
  }
  return redactDriftFields(ref, diffJson(a, b));
}
