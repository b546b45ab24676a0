// One virtual cluster's storage: objects by resource, one resourceVersion counter (as
// etcd's revision is one counter per cluster), and a bounded history of changes that
// watches resume from. Stored objects are never mutated: writers replace them, so
// the history and the store can share them and 500 clusters stay small.
import { randomUUID } from 'node:crypto';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export type KubeObject = Record<string, unknown> & { metadata: Record<string, unknown> };

export interface ChangeEvent {
  type: WatchEventType;
  /** Resource identity, `group/resource` (see storageKey). */
  key: string;
  rv: number;
  object: KubeObject;
  /** The object before a MODIFIED change, so selector watches can turn it into ADDED/DELETED. */
  previous?: KubeObject;
}

export type ChangeListener = (event: ChangeEvent) => void;

/** Thrown when a watch asks for history the store no longer keeps (410 Gone). */
export class HistoryExpiredError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.name = 'HistoryExpiredError';
  }
}

/** How many changes a cluster remembers for watches that resume from a resourceVersion. */
export const DEFAULT_HISTORY_SIZE = 1000;

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class ClusterStore {
  private revision = 0;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private readonly history: ChangeEvent[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private nextClusterIp = 10;

  constructor(
    readonly name: string,
    private readonly historySize = DEFAULT_HISTORY_SIZE,
  ) {}

  get resourceVersion(): number {
    return this.revision;
  }

  newUid(): string {
    return randomUUID();
  }

  /** A ClusterIP from 10.96.0.0/16, never reused within the cluster. */
  allocateClusterIp(): string {
    const n = this.nextClusterIp++;
    return `10.96.${Math.floor(n / 256) % 256}.${n % 256}`;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.buckets.get(key)?.get(objectKey(namespace, name));
  }

  /** Objects in etcd key order (namespace, then name), optionally of one namespace. */
  list(key: string, namespace?: string): KubeObject[] {
    const bucket = this.buckets.get(key);
    if (!bucket) return [];
    const entries = [...bucket.entries()].filter(([, o]) => !namespace || o.metadata.namespace === namespace);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.map(([, o]) => o);
  }

  count(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  /** Stores a new or changed object, stamping the next resourceVersion. */
  put(key: string, object: KubeObject): KubeObject {
    const rv = ++this.revision;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } } as KubeObject;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key, bucket);
    }
    const id = objectKey(stored.metadata.namespace as string | undefined, stored.metadata.name as string);
    const previous = bucket.get(id);
    bucket.set(id, stored);
    this.record({ type: previous ? 'MODIFIED' : 'ADDED', key, rv, object: stored, previous });
    return stored;
  }

  remove(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const bucket = this.buckets.get(key);
    const id = objectKey(namespace, name);
    const existing = bucket?.get(id);
    if (!bucket || !existing) return undefined;
    bucket.delete(id);
    // The DELETED event carries the last state with a new resourceVersion, as etcd's delete revision.
    const rv = ++this.revision;
    const last = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(rv) } } as KubeObject;
    this.record({ type: 'DELETED', key, rv, object: last });
    return last;
  }

  /** Removes every object of a resource (a CRD was deleted), with DELETED events. */
  removeAll(key: string): void {
    for (const o of this.list(key))
      this.remove(key, o.metadata.namespace as string | undefined, o.metadata.name as string);
    this.buckets.delete(key);
  }

  /** Changes after `rv`, oldest first; throws when they are no longer all kept. */
  changesSince(rv: number): ChangeEvent[] {
    const oldest = this.history[0]?.rv ?? this.revision + 1;
    if (rv < oldest - 1 && rv < this.revision) throw new HistoryExpiredError(rv, oldest - 1);
    return this.history.filter((e) => e.rv > rv);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(event: ChangeEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    for (const l of [...this.listeners]) l(event);
  }
}
