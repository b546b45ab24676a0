import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ClusterState } from '@flotilla/api';
import { matchesLabelSelector, type LabelSelector, type Labels } from '@flotilla/domain';

/**
 * What every view shows of a cluster. `state` (ClusterState) folds registration and
 * liveness into one word so no view can show an offline or never-seen cluster as healthy:
 * only `connected` is good.
 */

export interface ClusterView {
  id: string;
  name: string;
  labels: Labels;
  state: ClusterState;
  lastSeenAt: string | null;
  stateChangedAt: string | null;
  agentVersion: string;
  kubernetesVersion: string;
  publicKey: string;
  registeredAt: string;
  deregisteredAt: string | null;
}

export interface ClusterGroupView {
  name: string;
  selector: LabelSelector;
  description: string;
  createdAt: string;
  createdBy: string;
}

interface ClusterRow {
  cluster_id: string;
  name: string;
  labels: Labels;
  public_key: string;
  agent_version: string;
  kubernetes_version: string;
  registered_at: Date;
  deregistered_at: Date | null;
  connection: 'pending' | 'connected' | 'disconnected';
  connection_changed_at: Date | null;
  last_seen_at: Date | null;
}

interface GroupRow {
  name: string;
  selector: LabelSelector;
  description: string;
  created_at: Date;
  created_by: string;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function toView(row: ClusterRow): ClusterView {
  const state: ClusterState = row.deregistered_at ? 'deregistered' : row.connection;
  return {
    id: row.cluster_id,
    name: row.name,
    labels: row.labels,
    state,
    lastSeenAt: iso(row.last_seen_at),
    stateChangedAt: iso(row.deregistered_at ?? row.connection_changed_at),
    agentVersion: row.agent_version,
    kubernetesVersion: row.kubernetes_version,
    publicKey: row.public_key,
    registeredAt: iso(row.registered_at)!,
    deregisteredAt: iso(row.deregistered_at),
  };
}

function toGroupView(row: GroupRow): ClusterGroupView {
  return {
    name: row.name,
    selector: row.selector,
    description: row.description,
    createdAt: iso(row.created_at)!,
    createdBy: row.created_by,
  };
}

/** Queries over the projected tables (hub_clusters, hub_cluster_groups). */
@Injectable()
export class ClustersReadModel {
  constructor(private readonly dataSource: DataSource) {}

  async listClusters(
    options: { selector?: LabelSelector; includeDeregistered?: boolean } = {},
  ): Promise<ClusterView[]> {
    const rows: ClusterRow[] = await this.dataSource.query(
      `SELECT * FROM hub_clusters ${options.includeDeregistered ? '' : 'WHERE deregistered_at IS NULL'} ORDER BY name, cluster_id`,
    );
    const views = rows.map(toView);
    return options.selector ? views.filter((c) => matchesLabelSelector(options.selector!, c.labels)) : views;
  }

  async getCluster(clusterId: string): Promise<ClusterView | undefined> {
    const rows: ClusterRow[] = await this.dataSource.query(`SELECT * FROM hub_clusters WHERE cluster_id = $1`, [
      clusterId,
    ]);
    return rows[0] ? toView(rows[0]) : undefined;
  }

  async listGroups(): Promise<ClusterGroupView[]> {
    const rows: GroupRow[] = await this.dataSource.query(`SELECT * FROM hub_cluster_groups ORDER BY name`);
    return rows.map(toGroupView);
  }

  async getGroup(name: string): Promise<ClusterGroupView | undefined> {
    const rows: GroupRow[] = await this.dataSource.query(`SELECT * FROM hub_cluster_groups WHERE name = $1`, [name]);
    return rows[0] ? toGroupView(rows[0]) : undefined;
  }

  /** Membership follows labels: computed from the clusters' current labels, live clusters only. */
  static membersOf(group: ClusterGroupView, clusters: ClusterView[]): ClusterView[] {
    return clusters.filter((c) => c.state !== 'deregistered' && matchesLabelSelector(group.selector, c.labels));
  }
}
