// Sets of field paths in the FieldsV1 encoding of managedFields (`f:spec`, `k:{"name":"x"}`,
// `v:"a"`, `i:0`, with `.` marking a node that is itself a member), and the walks that
// derive them from objects: the pieces of structured-merge-diff that apply needs.
import type { Schema } from './schema';

export class FieldSet {
  member = false;
  readonly children = new Map<string, FieldSet>();

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (!v || typeof v !== 'object') return s;
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) s.member = true;
    for (const [k, child] of entries) {
      if (k === '.') s.member = true;
      else s.children.set(k, FieldSet.fromFieldsV1(child));
    }
    return s;
  }

  static fromPaths(paths: string[][]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const key of [...this.children.keys()].sort(comparePathElements))
      out[key] = this.children.get(key)!.toFieldsV1();
    return out;
  }

  insert(path: string[]): void {
    let node: FieldSet = this;
    for (const pe of path) {
      let next = node.children.get(pe);
      if (!next) {
        next = new FieldSet();
        node.children.set(pe, next);
      }
      node = next;
    }
    node.member = true;
  }

  has(path: string[]): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return node.member;
  }

  /** The node at path, members or not. */
  at(path: string[]): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node?.children.get(pe);
      if (!node) return undefined;
    }
    return node;
  }

  isEmpty(): boolean {
    return !this.member && this.children.size === 0;
  }

  /** Every member path, parents before children. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = [];
    if (this.member) out.push(prefix);
    for (const key of [...this.children.keys()].sort(comparePathElements))
      out.push(...this.children.get(key)!.paths([...prefix, key]));
    return out;
  }

  clone(): FieldSet {
    const s = new FieldSet();
    s.member = this.member;
    for (const [k, v] of this.children) s.children.set(k, v.clone());
    return s;
  }

  union(other: FieldSet): FieldSet {
    const s = this.clone();
    s.member ||= other.member;
    for (const [k, v] of other.children) {
      const mine = s.children.get(k);
      s.children.set(k, mine ? mine.union(v) : v.clone());
    }
    return s;
  }

  /** Members of this set that are not members of other (structure of other's non-members ignored). */
  difference(other: FieldSet): FieldSet {
    const s = new FieldSet();
    s.member = this.member && !other.member;
    for (const [k, v] of this.children) {
      const theirs = other.children.get(k);
      const child = theirs ? v.difference(theirs) : v.clone();
      if (!child.isEmpty()) s.children.set(k, child);
    }
    return s;
  }

  intersection(other: FieldSet): FieldSet {
    const s = new FieldSet();
    s.member = this.member && other.member;
    for (const [k, v] of this.children) {
      const theirs = other.children.get(k);
      if (!theirs) continue;
      const child = v.intersection(theirs);
      if (!child.isEmpty()) s.children.set(k, child);
    }
    return s;
  }

  /** Is any member at or below path? */
  hasAnyAtOrBelow(path: string[]): boolean {
    const node = this.at(path);
    return node !== undefined && !node.isEmpty();
  }
}

const ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** structured-merge-diff orders path elements: fields, then keys, then values, then indexes. */
function comparePathElements(a: string, b: string): number {
  const ta = ORDER[a[0]!] ?? 4;
  const tb = ORDER[b[0]!] ?? 4;
  if (ta !== tb) return ta - tb;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `.spec.containers[name="nginx"].image`, the way conflicts name a field. */
export function pathToString(path: string[]): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe[0]) {
      case 'f':
        out += `.${body}`;
        break;
      case 'k': {
        const key = JSON.parse(body) as Record<string, unknown>;
        out += `[${Object.keys(key)
          .sort()
          .map((k) => `${k}=${JSON.stringify(key[k])}`)
          .join(',')}]`;
        break;
      }
      case 'v':
        out += `[=${body}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

type NodeType = 'struct' | 'map' | 'assoc' | 'set' | 'leaf';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nodeType(schema: Schema | undefined, value: unknown): NodeType {
  if (Array.isArray(value)) {
    if (schema?.kind === 'list' && schema.list === 'map') return 'assoc';
    if (schema?.kind === 'list' && schema.list === 'set') return 'set';
    return 'leaf';
  }
  if (isPlainObject(value)) {
    if (!schema || schema.kind === 'struct') return schema?.atomic ? 'leaf' : 'struct';
    if (schema.kind === 'map' || schema.kind === 'deduced') return 'map';
    return 'struct';
  }
  return 'leaf';
}

function childSchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined;
  if (schema.kind === 'struct') return schema.fields?.[key];
  if (schema.kind === 'map') return schema.elem;
  if (schema.kind === 'deduced') return schema;
  return undefined;
}

function itemSchema(schema: Schema | undefined): Schema | undefined {
  if (schema?.kind === 'list' && schema.list === 'map') return schema.elem;
  return undefined;
}

/** The path element of a list item: `k:{...}` for keyed lists, `v:...` for sets. */
export function itemPathElement(schema: Schema | undefined, item: unknown, index: number): string {
  if (schema?.kind === 'list' && schema.list === 'map' && isPlainObject(item)) {
    const key: Record<string, unknown> = {};
    for (const k of [...schema.keys].sort()) {
      const v = item[k] ?? schema.keyDefaults?.[k];
      if (v !== undefined) key[k] = v;
    }
    return `k:${JSON.stringify(key)}`;
  }
  if (schema?.kind === 'list' && schema.list === 'set') return `v:${JSON.stringify(item)}`;
  return `i:${index}`;
}

interface Child {
  pe: string;
  value: unknown;
  schema: Schema | undefined;
}

function children(schema: Schema | undefined, value: unknown, type: NodeType): Child[] {
  if (type === 'struct' || type === 'map') {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => ({
      pe: `f:${k}`,
      value: v,
      schema: childSchema(schema, k),
    }));
  }
  if (type === 'assoc' || type === 'set') {
    return (value as unknown[]).map((item, i) => ({
      pe: itemPathElement(schema, item, i),
      value: item,
      schema: itemSchema(schema),
    }));
  }
  return [];
}

/** The fields an applied configuration sets: what its manager will own (ToFieldSet). */
export function toFieldSet(value: unknown, schema: Schema | undefined): FieldSet {
  const set = new FieldSet();
  walkSet(value, schema, [], set);
  return set;
}

function walkSet(value: unknown, schema: Schema | undefined, path: string[], set: FieldSet): void {
  const type = nodeType(schema, value);
  if (type === 'leaf') {
    set.insert(path);
    return;
  }
  for (const child of children(schema, value, type)) {
    const childPath = [...path, child.pe];
    walkSet(child.value, child.schema, childPath, set);
    const emptyObject = isPlainObject(child.value) && Object.keys(child.value).length === 0;
    if (type !== 'struct' || child.value === null || emptyObject) set.insert(childPath);
  }
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function isSame(c: Comparison): boolean {
  return c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty();
}

/** What changed between two versions of an object, path by path (typed.Compare). */
export function compare(oldValue: unknown, newValue: unknown, schema: Schema | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(oldValue, newValue, schema, [], c, true);
  return c;
}

function insertAll(value: unknown, schema: Schema | undefined, path: string[], into: FieldSet): void {
  into.insert(path);
  const type = nodeType(schema, value);
  for (const child of children(schema, value, type)) insertAll(child.value, child.schema, [...path, child.pe], into);
}

function walkCompare(
  oldValue: unknown,
  newValue: unknown,
  schema: Schema | undefined,
  path: string[],
  c: Comparison,
  root = false,
): void {
  if (oldValue === undefined && newValue === undefined) return;
  if (oldValue === undefined) {
    if (root) walkCompare({}, newValue, schema, path, c);
    else insertAll(newValue, schema, path, c.added);
    return;
  }
  if (newValue === undefined) {
    if (!root) insertAll(oldValue, schema, path, c.removed);
    return;
  }
  const ot = nodeType(schema, oldValue);
  const nt = nodeType(schema, newValue);
  if (ot !== nt || nt === 'leaf') {
    if (!deepEqual(oldValue, newValue)) c.modified.insert(path);
    return;
  }
  const oldChildren = new Map(children(schema, oldValue, ot).map((ch) => [ch.pe, ch] as const));
  const newChildren = new Map(children(schema, newValue, nt).map((ch) => [ch.pe, ch] as const));
  for (const [pe, ch] of newChildren) walkCompare(oldChildren.get(pe)?.value, ch.value, ch.schema, [...path, pe], c);
  for (const [pe, ch] of oldChildren)
    if (!newChildren.has(pe)) insertAll(ch.value, ch.schema, [...path, pe], c.removed);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Merges an applied configuration into the live object (typed.Merge): keyed lists by key, sets by value. */
export function mergeApplied(live: unknown, config: unknown, schema: Schema | undefined): unknown {
  if (config === undefined) return structuredClone(live);
  if (live === undefined) return structuredClone(config);
  const ct = nodeType(schema, config);
  const lt = nodeType(schema, live);
  if (ct !== lt || ct === 'leaf') return structuredClone(config);
  if (ct === 'struct' || ct === 'map') {
    const out: Record<string, unknown> = { ...(structuredClone(live) as Record<string, unknown>) };
    for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
      out[k] = mergeApplied((live as Record<string, unknown>)[k], v, childSchema(schema, k));
    }
    return out;
  }
  const liveItems = (live as unknown[]).map((item, i) => ({
    pe: itemPathElement(schema, item, i),
    item: structuredClone(item),
  }));
  for (const [i, item] of (config as unknown[]).entries()) {
    const pe = itemPathElement(schema, item, i);
    const existing = liveItems.find((x) => x.pe === pe);
    if (existing)
      existing.item = ct === 'assoc' ? mergeApplied(existing.item, item, itemSchema(schema)) : existing.item;
    else liveItems.push({ pe, item: structuredClone(item) });
  }
  return liveItems.map((x) => x.item);
}

/** Removes the value at a FieldsV1 path; returns false if it was not there. */
export function removePath(root: unknown, path: string[], schema: Schema | undefined, dropEmptyMaps = false): boolean {
  if (path.length === 0) return false;
  // Go drops a map left empty (omitempty): removing the last label removes `labels`.
  if (dropEmptyMaps && path.length > 1) {
    const parentPath = path.slice(0, -1);
    const removed = removePath(root, path, schema, false);
    const parent = valueAt(root, parentPath, schema);
    if (
      removed &&
      isPlainObject(parent.value) &&
      Object.keys(parent.value).length === 0 &&
      parent.schema?.kind === 'map'
    ) {
      removePath(root, parentPath, schema, false);
    }
    return removed;
  }
  let node: unknown = root;
  let s = schema;
  for (let i = 0; i < path.length; i++) {
    const pe = path[i]!;
    const last = i === path.length - 1;
    const type = nodeType(s, node);
    if (type === 'struct' || type === 'map') {
      const key = pe.slice(2);
      const obj = node as Record<string, unknown>;
      if (!(key in obj)) return false;
      if (last) {
        delete obj[key];
        return true;
      }
      node = obj[key];
      s = childSchema(s, key);
    } else if (type === 'assoc' || type === 'set') {
      const arr = node as unknown[];
      const idx = arr.findIndex((item, j) => itemPathElement(s, item, j) === pe);
      if (idx < 0) return false;
      if (last) {
        arr.splice(idx, 1);
        return true;
      }
      node = arr[idx];
      s = itemSchema(s);
    } else {
      return false;
    }
  }
  return false;
}

function valueAt(
  root: unknown,
  path: string[],
  schema: Schema | undefined,
): { value: unknown; schema: Schema | undefined } {
  let node: unknown = root;
  let s = schema;
  for (const pe of path) {
    const type = nodeType(s, node);
    if (type === 'struct' || type === 'map') {
      node = (node as Record<string, unknown>)[pe.slice(2)];
      s = childSchema(s, pe.slice(2));
    } else if (type === 'assoc' || type === 'set') {
      node = (node as unknown[]).find((item, j) => itemPathElement(s, item, j) === pe);
      s = itemSchema(s);
    } else {
      return { value: undefined, schema: undefined };
    }
  }
  return { value: node, schema: s };
}
