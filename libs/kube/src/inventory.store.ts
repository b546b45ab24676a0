import { CorruptInventoryError } from './errors';
import { APPLICATION_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './labels';
import type { RawObjectApi } from './object-api.client';
import type { KubeObject, ResourceRef } from './resource-ref';

/** One object an application owns; the uid is what prune checks so a same-named newcomer survives. */
export interface InventoryEntry extends ResourceRef {
  /** Absent only for objects recorded just before their first apply (see `pendingBundle`). */
  uid?: string;
}

export interface Inventory {
  application: string;
  /** Digest of the last bundle whose sync completed. */
  bundle?: string;
  /**
   * Set while a sync that adds objects is in flight: entries without uid were written then,
   * and are pruned only if they carry this digest. A crash between apply and the final
   * inventory write thus leaves nothing the agent forgets it owns.
   */
  pendingBundle?: string;
  entries: InventoryEntry[];
}

export const INVENTORY_PREFIX = 'flotilla-inventory-';
const DATA_KEY = 'inventory.json';

/**
 * The inventory lives in the cluster (a ConfigMap per application in the agent's
 * namespace), not in the agent's memory or on the hub: a restarted or replaced agent still
 * knows exactly what it owns.
 */
export class InventoryStore {
  constructor(
    private readonly api: RawObjectApi,
    private readonly namespace: string,
    private readonly fieldManager: string,
  ) {}

  private path(application: string): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps/${INVENTORY_PREFIX}${application}`;
  }

  async load(application: string): Promise<Inventory | undefined> {
    const cm = await this.api.get(this.path(application));
    if (!cm) return undefined;
    const raw = (cm.data as Record<string, string> | undefined)?.[DATA_KEY];
    try {
      const parsed = JSON.parse(raw ?? '') as Inventory;
      if (!Array.isArray(parsed.entries)) throw new Error('entries is not a list');
      return { ...parsed, application };
    } catch (cause) {
      throw new CorruptInventoryError(`inventory of application ${application} in ${this.namespace} is unreadable`, {
        cause,
      });
    }
  }

  async save(inventory: Inventory): Promise<void> {
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `${INVENTORY_PREFIX}${inventory.application}`,
        namespace: this.namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [APPLICATION_LABEL]: inventory.application },
      },
      data: { [DATA_KEY]: JSON.stringify(inventory) },
    };
    await this.api.apply(this.path(inventory.application), body, { fieldManager: this.fieldManager, force: true });
  }

  async delete(application: string): Promise<void> {
    const path = this.path(application);
    const cm = await this.api.get(path);
    if (cm?.metadata.uid) await this.api.deleteIfUid(path, cm.metadata.uid, 'Background');
  }
}
