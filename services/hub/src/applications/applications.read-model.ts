import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { applicationApiVersion, applicationKind, type Application, type ApplicationSpec } from '@flotilla/manifests';
import { ReadModelsService } from '../projections/read-models.service';

/** Where the commit an application stays on comes from: `apps pin` (the operator) or the file's `spec.pinnedCommit`. */
export interface ApplicationPin {
  commit: string;
  by: 'operator' | 'file';
  /** For an operator's pin: who pinned and when. */
  actor: string | null;
  at: string | null;
}

export interface ApplicationView {
  name: string;
  spec: ApplicationSpec;
  /** The application file as stored (apiVersion, kind, metadata, spec): `apps get -o yaml` prints it back. */
  file: Application;
  /** The commit every cluster stays on (the operator's pin wins over the file's); null = follow the branch. */
  pinnedCommit: string | null;
  pin: ApplicationPin | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  lastSyncRequest: { at: string; by: string; clusterId: string | null } | null;
}

interface ApplicationRow {
  name: string;
  spec: ApplicationSpec;
  pinned_commit: string | null;
  pinned_at: Date | null;
  pinned_by: string | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
  sync_requested_at: Date | null;
  sync_requested_by: string | null;
  sync_requested_cluster: string | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function toView(row: ApplicationRow): ApplicationView {
  const pin: ApplicationPin | null = row.pinned_commit
    ? { commit: row.pinned_commit, by: 'operator', actor: row.pinned_by, at: iso(row.pinned_at) }
    : row.spec.pinnedCommit
      ? { commit: row.spec.pinnedCommit, by: 'file', actor: null, at: null }
      : null;
  return {
    name: row.name,
    spec: row.spec,
    file: { apiVersion: applicationApiVersion, kind: applicationKind, metadata: { name: row.name }, spec: row.spec },
    pinnedCommit: pin?.commit ?? null,
    pin,
    createdAt: iso(row.created_at)!,
    createdBy: row.created_by,
    updatedAt: iso(row.updated_at)!,
    updatedBy: row.updated_by,
    lastSyncRequest: row.sync_requested_at
      ? { at: iso(row.sync_requested_at)!, by: row.sync_requested_by!, clusterId: row.sync_requested_cluster }
      : null,
  };
}

/** Queries over hub_applications (live applications only); the projection runs with the hub's other read models. */
@Injectable()
export class ApplicationsReadModel {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readModels: ReadModelsService,
  ) {}

  /** Read-your-writes for controllers (best effort, see ReadModelsService.catchUp). */
  catchUp(): Promise<void> {
    return this.readModels.catchUp();
  }

  async list(options: { source?: string } = {}): Promise<ApplicationView[]> {
    const rows: ApplicationRow[] =
      options.source === undefined
        ? await this.dataSource.query(`SELECT * FROM hub_applications WHERE NOT deleted ORDER BY name`)
        : await this.dataSource.query(
            `SELECT * FROM hub_applications WHERE NOT deleted AND source = $1 ORDER BY name`,
            [options.source],
          );
    return rows.map(toView);
  }

  async get(name: string): Promise<ApplicationView | undefined> {
    const rows: ApplicationRow[] = await this.dataSource.query(
      `SELECT * FROM hub_applications WHERE name = $1 AND NOT deleted`,
      [name],
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }
}
