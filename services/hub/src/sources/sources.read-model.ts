import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReadModelsService } from '../projections/read-models.service';

/** `failing` from the first failed fetch of a streak until one succeeds; `pending` until the first fetch. */
export type SourceViewStatus = 'pending' | 'ok' | 'failing';

export interface SourceView {
  name: string;
  url: string;
  branch: string;
  pollIntervalSeconds: number;
  credentialsRef: string | null;
  webhookSecretRef: string | null;
  webhookPath: string | null;
  status: SourceViewStatus;
  failingSince: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  lastObservedCommit: {
    sha: string;
    message: string | null;
    author: string | null;
    committedAt: string | null;
    observedAt: string | null;
  } | null;
  historyRewrittenAt: string | null;
  webhookRejections: number;
  lastWebhookRejectedAt: string | null;
  lastWebhookRejection: string | null;
  addedAt: string;
  addedBy: string;
}

interface SourceRow {
  name: string;
  url: string;
  branch: string;
  poll_interval_seconds: number;
  credentials_ref: string | null;
  webhook_secret_ref: string | null;
  added_at: Date;
  added_by: string;
  status: SourceViewStatus;
  failing_since: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  last_commit_sha: string | null;
  last_commit_message: string | null;
  last_commit_author: string | null;
  last_commit_committed_at: Date | null;
  last_observed_at: Date | null;
  history_rewritten_at: Date | null;
  webhook_rejections: number;
  last_webhook_rejected_at: Date | null;
  last_webhook_rejection: string | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function toView(row: SourceRow): SourceView {
  return {
    name: row.name,
    url: row.url,
    branch: row.branch,
    pollIntervalSeconds: row.poll_interval_seconds,
    credentialsRef: row.credentials_ref,
    webhookSecretRef: row.webhook_secret_ref,
    webhookPath: row.webhook_secret_ref ? `/api/v1/sources/${row.name}/webhook` : null,
    status: row.status,
    failingSince: iso(row.failing_since),
    lastError: row.last_error,
    lastErrorAt: iso(row.last_error_at),
    lastObservedCommit: row.last_commit_sha
      ? {
          sha: row.last_commit_sha,
          message: row.last_commit_message,
          author: row.last_commit_author,
          committedAt: iso(row.last_commit_committed_at),
          observedAt: iso(row.last_observed_at),
        }
      : null,
    historyRewrittenAt: iso(row.history_rewritten_at),
    webhookRejections: row.webhook_rejections,
    lastWebhookRejectedAt: iso(row.last_webhook_rejected_at),
    lastWebhookRejection: row.last_webhook_rejection,
    addedAt: iso(row.added_at)!,
    addedBy: row.added_by,
  };
}

/** Queries over hub_sources; the projection runs with the hub's other read models. */
@Injectable()
export class SourcesReadModel {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readModels: ReadModelsService,
  ) {}

  /** Read-your-writes for controllers (best effort, see ReadModelsService.catchUp). */
  catchUp(): Promise<void> {
    return this.readModels.catchUp();
  }

  async list(): Promise<SourceView[]> {
    const rows: SourceRow[] = await this.dataSource.query(`SELECT * FROM hub_sources ORDER BY name`);
    return rows.map(toView);
  }

  async get(name: string): Promise<SourceView | undefined> {
    const rows: SourceRow[] = await this.dataSource.query(`SELECT * FROM hub_sources WHERE name = $1`, [name]);
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** What the poller needs: every live source and its interval. */
  async schedule(): Promise<Array<{ name: string; url: string; pollIntervalSeconds: number }>> {
    const rows: Array<{ name: string; url: string; poll_interval_seconds: number }> = await this.dataSource.query(
      `SELECT name, url, poll_interval_seconds FROM hub_sources`,
    );
    return rows.map((r) => ({ name: r.name, url: r.url, pollIntervalSeconds: r.poll_interval_seconds }));
  }
}
