import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { applicationStreamId } from '@flotilla/domain';
import { ReadModelsService } from '../../projections/read-models.service';
import {
  effectiveHealth,
  renderState,
  summarize,
  type RenderOutcome,
  type RenderStatus,
  type ApplicationStatusSummary,
  type ClusterApplicationStatus,
  type ConnectionState,
  type RenderError,
  type ReportedHealth,
  type SyncState,
} from './application-status.rules';

export interface ApplicationStatusView {
  application: string;
  /** The newest commit seen and whether it rendered: a render failure is the first thing to see. */
  render: RenderStatus;
  summary: ApplicationStatusSummary;
  clusters: ClusterApplicationStatus[];
}

interface StatusRow {
  cluster_id: string;
  cluster_name: string | null;
  connection: ConnectionState | null;
  desired_revision: number;
  desired_commit: string;
  desired_bundle: string;
  applied_commit: string | null;
  applied_bundle: string | null;
  sync: SyncState;
  health: ReportedHealth | null;
  last_sync_at: Date | null;
  message: string | null;
  health_message: string | null;
  drifted: string;
}

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
      const state = row.connection ?? 'pending';
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
        healthMessage: state === 'connected' ? row.health_message : null,
      };
    });
    return { application, render: await this.render(application), summary: summarize(clusters), clusters };
  }

  /**
   * Read from the application's own stream, newest first (its primary key, read backwards):
   * the renderer appends every RevisionRendered and RenderFailed there. A bounded look back:
   * a failure older than the last 200 outcomes has long been superseded.
   */
  private async render(application: string): Promise<RenderStatus> {
    const [app] = (await this.dataSource.query(
      `SELECT a.pinned_commit, s.last_commit_sha
       FROM hub_applications a LEFT JOIN hub_sources s ON s.name = a.source
       WHERE a.name = $1`,
      [application],
    )) as Array<{ pinned_commit: string | null; last_commit_sha: string | null }>;
    const rows = (await this.dataSource.query(
      `SELECT type, data, recorded_at FROM events
       WHERE stream_id = $1 AND type IN ('RevisionRendered', 'RenderFailed')
       ORDER BY version DESC LIMIT 200`,
      [applicationStreamId(application)],
    )) as Array<{
      type: RenderOutcome['type'];
      data: { commit: string; clusterId?: string; errors?: RenderError[] };
      recorded_at: Date;
    }>;
    const outcomes = rows.map((r): RenderOutcome => {
      const at = new Date(r.recorded_at).toISOString();
      return r.type === 'RenderFailed'
        ? { type: r.type, commit: r.data.commit, clusterId: r.data.clusterId ?? null, errors: r.data.errors ?? [], at }
        : { type: r.type, commit: r.data.commit, clusterId: r.data.clusterId ?? '', at };
    });
    const { commit, state, failure } = renderState(outcomes);
    let clusterName: string | null = null;
    if (failure?.clusterId) {
      const [cluster] = (await this.dataSource.query(`SELECT name FROM hub_clusters WHERE cluster_id = $1`, [
        failure.clusterId,
      ])) as Array<{ name: string }>;
      clusterName = cluster?.name ?? null;
    }
    return {
      sourceCommit: app?.last_commit_sha ?? null,
      pinnedCommit: app?.pinned_commit ?? null,
      commit,
      state,
      failure: failure
        ? { commit: failure.commit, clusterId: failure.clusterId, clusterName, errors: failure.errors, at: failure.at }
        : null,
    };
  }
}
