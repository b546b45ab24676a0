import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import { clusterStateEventTypes, stateChangeOf, type StateChange } from './cluster-state';

interface Row {
  position: number;
  cluster_id: string;
  slot: string;
  kind: StateChange['kind'];
  data: unknown;
  valid_from: string;
  valid_to: string | null;
}

/**
 * hub_cluster_state_history: each change of a cluster's desired or applied state opens a row
 * and closes the slot's previous one. Set-based per batch (two statements however many
 * events), since every sync of every cluster passes through here.
 */
export const clusterStateHistoryProjection: Projection = {
  name: 'hub-cluster-state-history',
  handles: clusterStateEventTypes,

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    const rows: Row[] = [];
    const open = new Map<string, Row>();
    const firstFrom = new Map<string, { cluster_id: string; slot: string; valid_from: string }>();
    for (const event of events) {
      const found = stateChangeOf(event);
      if (!found) continue;
      const key = `${found.clusterId}\u0000${found.change.slot}`;
      const from = event.recordedAt.toISOString();
      const previous = open.get(key);
      if (previous) previous.valid_to = from;
      else firstFrom.set(key, { cluster_id: found.clusterId, slot: found.change.slot, valid_from: from });
      const row: Row = {
        position: event.position,
        cluster_id: found.clusterId,
        slot: found.change.slot,
        kind: found.change.kind,
        data: found.change.data,
        valid_from: from,
        valid_to: null,
      };
      rows.push(row);
      open.set(key, row);
    }
    if (rows.length === 0) return;
    await tx.query(
      `UPDATE hub_cluster_state_history h SET valid_to = x.valid_from
       FROM jsonb_to_recordset($1::jsonb) AS x(cluster_id text, slot text, valid_from timestamptz)
       WHERE h.cluster_id = x.cluster_id AND h.slot = x.slot AND h.valid_to IS NULL`,
      [JSON.stringify([...firstFrom.values()])],
    );
    await tx.query(
      `INSERT INTO hub_cluster_state_history (position, cluster_id, slot, kind, data, valid_from, valid_to)
       SELECT position, cluster_id, slot, kind, data, valid_from, valid_to
       FROM jsonb_to_recordset($1::jsonb)
         AS x(position bigint, cluster_id text, slot text, kind text, data jsonb, valid_from timestamptz, valid_to timestamptz)`,
      [JSON.stringify(rows)],
    );
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_cluster_state_history');
  },
};
