// Field ownership (metadata.managedFields) for apply and update, following the
// algorithm of structured-merge-diff v4 as kube-apiserver v1.20 runs it: an apply
// owns exactly the fields of its configuration, an update takes the fields it changed,
// a field owned by another manager and changed by an apply is a conflict unless forced.
import {
  FieldSet,
  compare,
  isSame,
  mergeApplied,
  pathToString,
  removePath,
  toFieldSet,
  type Comparison,
} from './field-set';
import type { Schema } from './schema';
import { KubeApiError, type StatusCause } from './status-error';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
}

interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  set: FieldSet;
}

/** Managers are told apart by name and operation, and updates also by apiVersion. */
type Managers = Map<string, Manager>;

function managerKey(manager: string, operation: 'Apply' | 'Update', apiVersion: string): string {
  return operation === 'Apply' ? `Apply\u0000${manager}` : `Update\u0000${manager}\u0000${apiVersion}`;
}

export class ApplyConflictError extends KubeApiError {
  constructor(causes: StatusCause[], message: string) {
    super(409, 'Conflict', message, { causes });
    this.name = 'ApplyConflictError';
  }
}

// Fields no manager ever owns: identity and bookkeeping set by the server.
const STRIPPED = FieldSet.fromPaths([
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map((f) => ['f:metadata', `f:${f}`]),
]);

export function decodeManagedFields(entries: unknown): Managers {
  const managers: Managers = new Map();
  if (!Array.isArray(entries)) return managers;
  for (const e of entries as ManagedFieldsEntry[]) {
    if (!e || typeof e !== 'object' || typeof e.manager !== 'string') continue;
    const operation = e.operation === 'Apply' ? 'Apply' : 'Update';
    managers.set(managerKey(e.manager, operation, e.apiVersion), {
      manager: e.manager,
      operation,
      apiVersion: e.apiVersion,
      time: e.time,
      set: FieldSet.fromFieldsV1(e.fieldsV1),
    });
  }
  return managers;
}

/** Sorted as the real server sorts them: by operation, then time, then manager, then apiVersion. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !m.set.isEmpty());
  list.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const pt = p.time ? Math.floor(Date.parse(p.time) / 1000) : 0;
    const qt = q.time ? Math.floor(Date.parse(q.time) / 1000) : 0;
    if (pt !== qt) return pt - qt;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    return p.apiVersion < q.apiVersion ? -1 : p.apiVersion > q.apiVersion ? 1 : 0;
  });
  return list.map((m) => {
    const e: ManagedFieldsEntry = {
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      fieldsType: 'FieldsV1',
      fieldsV1: m.set.toFieldsV1(),
    };
    if (m.time) {
      // Key order as the real server writes it: time before fieldsType.
      return {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion,
        time: m.time,
        fieldsType: e.fieldsType,
        fieldsV1: e.fieldsV1,
      };
    }
    return e;
  });
}

/** RFC 3339 with seconds, as metav1.Time serialises. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function withoutBookkeeping(obj: unknown): unknown {
  if (!obj || typeof obj !== 'object') return obj;
  const copy = { ...(obj as Record<string, unknown>) };
  if (copy.metadata && typeof copy.metadata === 'object') {
    const meta = { ...(copy.metadata as Record<string, unknown>) };
    delete meta.managedFields;
    copy.metadata = meta;
  }
  return copy;
}

function describeManager(m: Manager): string {
  return m.operation === 'Update' ? `${JSON.stringify(m.manager)} using ${m.apiVersion}` : JSON.stringify(m.manager);
}

function conflictError(conflicts: { manager: Manager; path: string[] }[]): ApplyConflictError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathToString(c.path),
  }));
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return new ApplyConflictError(
      causes,
      `Apply failed with 1 conflict: conflict with ${describeManager(c.manager)}: ${pathToString(c.path)}`,
    );
  }
  const byManager = new Map<string, { m: Manager; paths: string[][] }>();
  for (const c of conflicts) {
    const key = describeManager(c.manager);
    const entry = byManager.get(key) ?? { m: c.manager, paths: [] };
    entry.paths.push(c.path);
    byManager.set(key, entry);
  }
  const lines: string[] = [];
  for (const key of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${key}:`);
    for (const p of byManager.get(key)!.paths) lines.push(`- ${pathToString(p)}`);
  }
  return new ApplyConflictError(causes, `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`);
}

/** Takes from every manager but `self` the fields this change set or removed; conflicts when not forced. */
function transferOwnership(managers: Managers, selfKey: string, comparison: Comparison, force: boolean): void {
  const changed = comparison.added.union(comparison.modified);
  const conflicts: { manager: Manager; path: string[] }[] = [];
  for (const [key, m] of managers) {
    if (key === selfKey) continue;
    const overlap = m.set.intersection(changed);
    if (!overlap.isEmpty()) for (const path of overlap.paths()) conflicts.push({ manager: m, path });
  }
  if (!force && conflicts.length > 0) throw conflictError(conflicts);
  for (const [key, m] of managers) {
    if (key === selfKey) continue;
    m.set = m.set.difference(changed).difference(comparison.removed);
    if (m.set.isEmpty()) managers.delete(key);
  }
}

export interface ApplyInput {
  /** The live object, or undefined when the apply creates it. */
  live: Record<string, unknown> | undefined;
  config: Record<string, unknown>;
  manager: string;
  force: boolean;
  apiVersion: string;
  schema: Schema | undefined;
  now: number;
}

export interface ApplyResult {
  object: Record<string, unknown>;
  managedFields: ManagedFieldsEntry[];
  /** False when re-applying changed nothing: the caller keeps the stored object and its resourceVersion. */
  changed: boolean;
}

export function applyConfiguration(input: ApplyInput): ApplyResult {
  const { live, config, manager, force, apiVersion, schema, now } = input;
  const liveBody = (withoutBookkeeping(live ?? {}) as Record<string, unknown>) ?? {};
  const managers = decodeManagedFields((live?.metadata as Record<string, unknown> | undefined)?.managedFields);
  const selfKey = managerKey(manager, 'Apply', apiVersion);
  const previous = managers.get(selfKey);
  const configSet = toFieldSet(withoutBookkeeping(config), schema).difference(STRIPPED);

  const merged = mergeApplied(liveBody, withoutBookkeeping(config), schema) as Record<string, unknown>;
  managers.set(selfKey, { manager, operation: 'Apply', apiVersion, time: previous?.time, set: configSet });
  // Fields this manager applied last time and no longer applies are removed, unless
  // someone (including its new configuration) still owns them.
  if (previous) {
    const owned = [...managers.values()].reduce((acc, m) => acc.union(m.set), new FieldSet());
    const dropped = previous.set.difference(configSet).paths();
    for (const path of dropped.reverse()) {
      if (!owned.hasAnyAtOrBelow(path)) removePath(merged, path, schema, true);
    }
  }

  const comparison = compare(liveBody, merged, schema);
  transferOwnership(managers, selfKey, comparison, force);
  const changed = !isSame(comparison);
  const self = managers.get(selfKey)!;
  if (changed || !previous) self.time = kubeTime(now);
  if (self.set.isEmpty()) managers.delete(selfKey);
  return { object: merged, managedFields: encodeManagedFields(managers), changed };
}

export interface UpdateInput {
  live: Record<string, unknown> | undefined;
  updated: Record<string, unknown>;
  manager: string;
  apiVersion: string;
  schema: Schema | undefined;
  now: number;
  /** managedFields as the request sent them: undefined keeps the live ones, [] resets them. */
  requested?: unknown;
}

/** Ownership after a create, update or non-apply patch: the manager takes what it changed. */
export function updateManagedFields(input: UpdateInput): ManagedFieldsEntry[] {
  const { live, updated, manager, apiVersion, schema, now, requested } = input;
  const liveMeta = live?.metadata as Record<string, unknown> | undefined;
  const managers = decodeManagedFields(
    requested !== undefined && requested !== null ? requested : liveMeta?.managedFields,
  );
  const comparison = compare(withoutBookkeeping(live ?? {}), withoutBookkeeping(updated), schema);
  if (isSame(comparison)) return encodeManagedFields(managers);
  const selfKey = managerKey(manager, 'Update', apiVersion);
  const previous = managers.get(selfKey);
  managers.delete(selfKey);
  transferOwnership(managers, selfKey, comparison, true);
  const taken = comparison.added.union(comparison.modified).difference(comparison.removed).difference(STRIPPED);
  const base = previous ? previous.set.difference(comparison.removed) : new FieldSet();
  const set = base.union(taken);
  if (!set.isEmpty()) managers.set(selfKey, { manager, operation: 'Update', apiVersion, time: kubeTime(now), set });
  return encodeManagedFields(managers);
}

/** The manager of a non-apply request without fieldManager: the user agent up to its first '/'. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0] ?? '';
  return prefix.slice(0, 128);
}
