import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReadModelsService } from '../../projections/read-models.service';
import {
  effectiveHealth,
  summarize,
  type ApplicationStatusSummary,
  type ClusterApplicationStatus,
  type ConnectionState,
  type ReportedHealth,
  type SyncState,
} from './application-status.rules';

export interface ApplicationStatusView {
  application: string;
  summary: ApplicationStatusSummary;
  clusters: ClusterApplicationStatus[];
}

interface StatusRow {
  cluster_id: string;
  cluster_name: string | null;
  connection: 'unknown' | 'connected' | 'disconnected' | null;
  desired_revision: number;
  desired_commit: string;
  desired_bundle: string;
  applied_commit: string | null;
  applied_bundle: string | null;
  sync: SyncState;
  health: ReportedHealth | null;
  last_sync_at: Date | null;
  message: string | null;
  drifted: string;
}

const connectionStates: Record<string, ConnectionState> = {
  connected: 'connected',
  disconnected: 'disconnected',
  unknown: 'pending',
};

/** Queries over hub_application_status, joined with the clusters read model for names and liveness. */
@Injectable()
export class ApplicationStatusReadModel {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readModels: ReadModelsService,
  ) {}

  catchUp(): Promise<void> {
    return this.readModels.catchUp();
  }

  /** Whether the application exists (the applications read model: created and not deleted). */
  async exists(application: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM hub_applications WHERE name = $1 AND NOT deleted`,
      [application],
    );
    return rows.length > 0;
  }

  /** Every cluster the application is assigned to, never truncated. */
  async get(application: string): Promise<ApplicationStatusView> {
    const rows: StatusRow[] = await this.dataSource.query(
      `SELECT s.*, c.name AS cluster_name, c.connection,
         (SELECT count(*) FROM hub_application_drift d WHERE d.application = s.application AND d.cluster_id = s.cluster_id) AS drifted
       FROM hub_application_status s
       LEFT JOIN hub_clusters c ON c.cluster_id = s.cluster_id
       WHERE s.application = $1 AND c.deregistered_at IS NULL
       ORDER BY c.name NULLS LAST, s.cluster_id`,
      [application],
    );
    const clusters = rows.map((row): ClusterApplicationStatus => {
      const state = connectionStates[row.connection ?? 'unknown'] ?? 'pending';
      const driftedResources = Number(row.drifted);
      return {
        clusterId: row.cluster_id,
        clusterName: row.cluster_name ?? row.cluster_id,
        state,
        desiredRevision: row.desired_revision,
        desiredCommit: row.desired_commit,
        desiredBundle: row.desired_bundle,
        appliedCommit: row.applied_commit,
        appliedBundle: row.applied_bundle,
        sync: row.sync,
        health: effectiveHealth(state, row.health),
        drifted: driftedResources > 0,
        driftedResources,
        lastSyncAt: row.last_sync_at ? new Date(row.last_sync_at).toISOString() : null,
        message: row.message,
      };
    });
    return { application, summary: summarize(clusters), clusters };
  }
}
