import type { EntityManager } from 'typeorm';
import type {
  AssignedApplication,
  ClusterGroupSelector,
  LabelSelector,
  Labels,
  PlannedApplication,
  PlannerView,
  TargetableCluster,
} from '@flotilla/domain';
import { defaultObjectPolicy, type ApplicationSpec, type ObjectPolicy } from '@flotilla/manifests';
import type { SourceLocation } from '../sources';

/** A source as the reactor keeps it: where to read files, and the newest commit observed. */
export interface ReactorSource extends SourceLocation {
  latestCommit: string | null;
}

export interface StoredDesiredState {
  revision: number;
  applications: AssignedApplication[];
}

interface ApplicationRow {
  name: string;
  spec: ApplicationSpec;
  pinned_commit: string | null;
  good_commit: string | null;
  failed_commit: string | null;
  /** Null when no admin set one: the default applies. */
  policy: ObjectPolicy | null;
}

interface SourceRow {
  name: string;
  url: string;
  branch: string;
  credentials_ref: string | null;
  latest_commit: string | null;
}

/**
 * Every SQL statement of the reactor, on its transaction: its view of the log (tables
 * `desired_reactor_*`, written in the checkpoint's transaction) and what it keeps for agents
 * (`desired_states`, `desired_state_bundles`, `bundles`).
 */
export class DesiredStateRepository {
  constructor(private readonly tx: EntityManager) {}

  async view(): Promise<PlannerView> {
    const sources: SourceRow[] = await this.tx.query(`SELECT name, latest_commit FROM desired_reactor_sources`);
    return {
      applications: await this.applications(),
      clusters: await this.clusters(),
      groups: await this.groups(),
      latestCommits: Object.fromEntries(sources.map((s) => [s.name, s.latest_commit])),
    };
  }

  async putSource(source: SourceLocation): Promise<void> {
    await this.removeSource(source.name);
    await this.tx.query(
      `INSERT INTO desired_reactor_sources (name, url, branch, credentials_ref, latest_commit) VALUES ($1, $2, $3, $4, NULL)`,
      [source.name, source.url, source.branch, source.credentialsRef],
    );
  }

  async changeSource(name: string, branch: string, credentialsRef: string | null): Promise<void> {
    await this.tx.query(`UPDATE desired_reactor_sources SET branch = $2, credentials_ref = $3 WHERE name = $1`, [
      name,
      branch,
      credentialsRef,
    ]);
  }

  async removeSource(name: string): Promise<void> {
    await this.tx.query(`DELETE FROM desired_reactor_sources WHERE name = $1`, [name]);
  }

  async setLatestCommit(source: string, sha: string): Promise<void> {
    await this.tx.query(`UPDATE desired_reactor_sources SET latest_commit = $2 WHERE name = $1`, [source, sha]);
  }

  async source(name: string): Promise<ReactorSource | undefined> {
    const [row]: SourceRow[] = await this.tx.query(
      `SELECT name, url, branch, credentials_ref, latest_commit FROM desired_reactor_sources WHERE name = $1`,
      [name],
    );
    if (!row) return undefined;
    return {
      name: row.name,
      url: row.url,
      branch: row.branch,
      credentialsRef: row.credentials_ref,
      latestCommit: row.latest_commit,
    };
  }

  /** A new application starts over: no pin or accepted commit of a deleted one with its name carries across. */
  async createApplication(name: string, spec: ApplicationSpec): Promise<void> {
    await this.tx.query(
      `INSERT INTO desired_reactor_applications (name, spec, pinned_commit, good_commit, failed_commit)
       VALUES ($1, $2, NULL, NULL, NULL)
       ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, pinned_commit = NULL, good_commit = NULL, failed_commit = NULL`,
      [name, JSON.stringify(spec)],
    );
  }

  /** A new spec may render where the old one failed: the failed commit is forgotten. */
  async changeApplication(name: string, spec: ApplicationSpec): Promise<void> {
    await this.tx.query(
      `INSERT INTO desired_reactor_applications (name, spec, pinned_commit, good_commit, failed_commit)
       VALUES ($1, $2, NULL, NULL, NULL)
       ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, failed_commit = NULL`,
      [name, JSON.stringify(spec)],
    );
  }

  /**
   * An admin's new policy for the application's name. A commit the old policy refused may
   * pass now: the failed commit is forgotten, as for a changed spec.
   */
  async setPolicy(application: string, policy: ObjectPolicy): Promise<void> {
    await this.tx.query(
      `INSERT INTO desired_reactor_policies (application, policy) VALUES ($1, $2)
       ON CONFLICT (application) DO UPDATE SET policy = EXCLUDED.policy`,
      [application, JSON.stringify(policy)],
    );
    await this.tx.query(`UPDATE desired_reactor_applications SET failed_commit = NULL WHERE name = $1`, [application]);
  }

  async deleteApplication(name: string): Promise<void> {
    await this.tx.query(`DELETE FROM desired_reactor_applications WHERE name = $1`, [name]);
  }

  async setPin(name: string, commit: string | null): Promise<void> {
    await this.tx.query(`UPDATE desired_reactor_applications SET pinned_commit = $2 WHERE name = $1`, [name, commit]);
  }

  async setCommits(name: string, commits: Pick<PlannedApplication, 'goodCommit' | 'failedCommit'>): Promise<void> {
    await this.tx.query(
      `UPDATE desired_reactor_applications SET good_commit = $2, failed_commit = $3 WHERE name = $1`,
      [name, commits.goodCommit, commits.failedCommit],
    );
  }

  async putCluster(cluster: TargetableCluster): Promise<void> {
    await this.tx.query(
      `INSERT INTO desired_reactor_clusters (cluster_id, name, labels, kubernetes_version, api_versions)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (cluster_id) DO UPDATE SET name = EXCLUDED.name, labels = EXCLUDED.labels,
         kubernetes_version = EXCLUDED.kubernetes_version, api_versions = EXCLUDED.api_versions`,
      [
        cluster.clusterId,
        cluster.name,
        JSON.stringify(cluster.labels),
        cluster.kubernetesVersion ?? null,
        cluster.apiVersions ? JSON.stringify(cluster.apiVersions) : null,
      ],
    );
  }

  /** False when the cluster is not registered (a late relabel of a deregistered one changes nothing). */
  async relabelCluster(clusterId: string, labels: Labels): Promise<boolean> {
    const updated: unknown[] = await this.tx.query(
      `UPDATE desired_reactor_clusters SET labels = $2 WHERE cluster_id = $1 RETURNING cluster_id`,
      [clusterId, JSON.stringify(labels)],
    );
    return updated.length > 0;
  }

  async removeCluster(clusterId: string): Promise<void> {
    await this.tx.query(`DELETE FROM desired_reactor_clusters WHERE cluster_id = $1`, [clusterId]);
  }

  async putGroup(group: ClusterGroupSelector): Promise<void> {
    await this.removeGroup(group.name);
    await this.tx.query(`INSERT INTO desired_reactor_groups (name, selector) VALUES ($1, $2)`, [
      group.name,
      JSON.stringify(group.selector),
    ]);
  }

  async removeGroup(name: string): Promise<void> {
    await this.tx.query(`DELETE FROM desired_reactor_groups WHERE name = $1`, [name]);
  }

  async clusterIds(): Promise<Set<string>> {
    const rows: Array<{ cluster_id: string }> = await this.tx.query(`SELECT cluster_id FROM desired_reactor_clusters`);
    return new Set(rows.map((r) => r.cluster_id));
  }

  async desiredState(clusterId: string): Promise<StoredDesiredState | undefined> {
    const [row]: Array<{ revision: string | number; applications: AssignedApplication[] }> = await this.tx.query(
      `SELECT revision, applications FROM desired_states WHERE cluster_id = $1`,
      [clusterId],
    );
    return row ? { revision: Number(row.revision), applications: row.applications } : undefined;
  }

  /** Live clusters whose current desired state holds the application, with its assignment there. */
  async running(application: string): Promise<Map<string, AssignedApplication>> {
    const rows: Array<{ cluster_id: string; applications: AssignedApplication[] }> = await this.tx.query(
      `SELECT s.cluster_id, s.applications FROM desired_states s
       JOIN desired_reactor_clusters c ON c.cluster_id = s.cluster_id
       WHERE s.applications @> $1::jsonb`,
      [JSON.stringify([{ name: application }])],
    );
    const out = new Map<string, AssignedApplication>();
    for (const row of rows) {
      const found = row.applications.find((a) => a.name === application);
      if (found) out.set(row.cluster_id, found);
    }
    return out;
  }

  /** A stored bundle's objects (its canonical JSON parsed), or undefined when the hub does not hold it. */
  async bundleObjects(digest: string): Promise<unknown[] | undefined> {
    const [row]: Array<{ content: string }> = await this.tx.query(`SELECT content FROM bundles WHERE digest = $1`, [
      digest,
    ]);
    if (!row) return undefined;
    const parsed: unknown = JSON.parse(row.content);
    return Array.isArray(parsed) ? parsed : undefined;
  }

  async storeBundle(digest: string, content: string, size: number): Promise<void> {
    await this.tx.query(
      `INSERT INTO bundles (digest, content, size) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING`,
      [digest, content, size],
    );
  }

  /** The cluster's new desired state (the agent's answer is made from `payload`) and the bundles it may fetch. */
  async saveDesiredState(
    clusterId: string,
    state: StoredDesiredState & { payload: Uint8Array; position: number },
  ): Promise<void> {
    await this.tx.query(
      `INSERT INTO desired_states (cluster_id, revision, applications, payload, position, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (cluster_id) DO UPDATE SET revision = EXCLUDED.revision, applications = EXCLUDED.applications,
         payload = EXCLUDED.payload, position = EXCLUDED.position, updated_at = now()`,
      [clusterId, state.revision, JSON.stringify(state.applications), Buffer.from(state.payload), state.position],
    );
    for (const app of state.applications) {
      await this.tx.query(
        `INSERT INTO desired_state_bundles (cluster_id, digest) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [clusterId, app.bundleDigest],
      );
    }
  }

  private async applications(): Promise<PlannedApplication[]> {
    const rows: ApplicationRow[] = await this.tx.query(
      `SELECT a.name, a.spec, a.pinned_commit, a.good_commit, a.failed_commit, p.policy
       FROM desired_reactor_applications a LEFT JOIN desired_reactor_policies p ON p.application = a.name
       ORDER BY a.name`,
    );
    return rows.map((row) => ({
      name: row.name,
      spec: row.spec,
      pinnedCommit: row.pinned_commit,
      goodCommit: row.good_commit,
      failedCommit: row.failed_commit,
      policy: row.policy ?? defaultObjectPolicy,
    }));
  }

  private async clusters(): Promise<TargetableCluster[]> {
    const rows: Array<{
      cluster_id: string;
      name: string;
      labels: Labels;
      kubernetes_version: string | null;
      api_versions: string[] | null;
    }> = await this.tx.query(
      `SELECT cluster_id, name, labels, kubernetes_version, api_versions FROM desired_reactor_clusters ORDER BY cluster_id`,
    );
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      name: r.name,
      labels: r.labels,
      ...(r.kubernetes_version ? { kubernetesVersion: r.kubernetes_version } : {}),
      ...(r.api_versions ? { apiVersions: r.api_versions } : {}),
    }));
  }

  private async groups(): Promise<ClusterGroupSelector[]> {
    const rows: Array<{ name: string; selector: LabelSelector }> = await this.tx.query(
      `SELECT name, selector FROM desired_reactor_groups ORDER BY name`,
    );
    return rows;
  }
}
