import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { resourceKey, type ReportedHealth } from './application-status.rules';
import type { ApplicationResource, ApplicationResourcesView } from '@flotilla/api';

interface Ref {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}
interface SyncData {
  commit: string;
  bundleDigest: string;
  at: string;
  message?: string;
  resources?: Array<{ ref: Ref; action: string; reason?: string; message?: string }>;
}

/**
 * One application on one cluster, resource by resource (as `argocd app get` shows it): what the
 * agent's last sync did with each object, its last reported health, and whether it drifted.
 * Read from the log through events_application_idx (the application's events, newest first):
 * the last sync report, then the newest health report of each resource; and the drift read
 * model. A detail view, asked for one pair at a time.
 */
@Injectable()
export class ApplicationResourcesReadModel {
  constructor(private readonly dataSource: DataSource) {}

  /** The cluster named by id or name (live clusters only), or undefined. */
  async findCluster(ref: string): Promise<{ clusterId: string; name: string } | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT cluster_id, name FROM hub_clusters
       WHERE (cluster_id = $1 OR name = $1) AND deregistered_at IS NULL
       ORDER BY (cluster_id = $1) DESC LIMIT 1`,
      [ref],
    )) as Array<{ cluster_id: string; name: string }>;
    return rows[0] ? { clusterId: rows[0].cluster_id, name: rows[0].name } : undefined;
  }

  async get(application: string, cluster: { clusterId: string; name: string }): Promise<ApplicationResourcesView> {
    const [last] = (await this.dataSource.query(
      `SELECT type, data FROM events
       WHERE (data->>'application') = $1 AND (data->>'clusterId') = $2
         AND type IN ('SyncSucceeded', 'SyncFailed', 'ApplicationRemoved')
       ORDER BY position DESC LIMIT 1`,
      [application, cluster.clusterId],
    )) as Array<{ type: string; data: SyncData }>;
    const base = { application, clusterId: cluster.clusterId, clusterName: cluster.name };
    if (!last || last.type === 'ApplicationRemoved') return { ...base, lastSync: null, resources: [] };

    const healthRows = (await this.dataSource.query(
      `SELECT DISTINCT ON (data->'resource') data->'resource' AS resource, data->>'status' AS status,
         data->>'message' AS message
       FROM events
       WHERE (data->>'application') = $1 AND (data->>'clusterId') = $2 AND type = 'HealthChanged'
         AND data ? 'resource'
       ORDER BY data->'resource', position DESC`,
      [application, cluster.clusterId],
    )) as Array<{ resource: Ref; status: ReportedHealth; message: string | null }>;
    const health = new Map(healthRows.map((h) => [resourceKey(h.resource), h]));
    const driftRows = (await this.dataSource.query(
      `SELECT resource_key FROM hub_application_drift WHERE application = $1 AND cluster_id = $2`,
      [application, cluster.clusterId],
    )) as Array<{ resource_key: string }>;
    const drifted = new Set(driftRows.map((d) => d.resource_key));

    const resources = (last.data.resources ?? [])
      // A pruned object is gone: the view shows what the application has now.
      .filter((r) => r.action !== 'pruned')
      .map((r): ApplicationResource => {
        const key = resourceKey(r.ref);
        const h = health.get(key);
        return {
          apiVersion: r.ref.apiVersion,
          kind: r.ref.kind,
          namespace: r.ref.namespace ?? null,
          name: r.ref.name,
          result: r.action as ApplicationResource['result'],
          reason: r.reason ?? null,
          message: r.message ?? null,
          health: h?.status ?? null,
          healthMessage: h?.message ?? null,
          drifted: drifted.has(key),
        };
      });
    return {
      ...base,
      lastSync: {
        result: last.type === 'SyncSucceeded' ? 'succeeded' : 'failed',
        commit: last.data.commit,
        bundleDigest: last.data.bundleDigest,
        at: last.data.at,
        message: last.data.message ?? null,
      },
      resources,
    };
  }
}
