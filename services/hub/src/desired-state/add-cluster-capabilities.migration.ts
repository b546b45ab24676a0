import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reactor's view of a cluster keeps what its agent reported at registration (Kubernetes
 * version, served API versions): Helm renders for that cluster see them as `.Capabilities`.
 * Clusters already in the view take them from their ClusterRegistered event, which holds the
 * version (and the API versions once agents report them), so an upgraded hub does not render
 * known clusters with Helm's defaults.
 */
export class AddClusterCapabilities1764813000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'AddClusterCapabilities1764813000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE desired_reactor_clusters ADD COLUMN kubernetes_version text, ADD COLUMN api_versions jsonb`,
    );
    await queryRunner.query(`
      UPDATE desired_reactor_clusters c
         SET kubernetes_version = e.data->>'kubernetesVersion', api_versions = e.data->'apiVersions'
        FROM events e
       WHERE e.type = 'ClusterRegistered' AND e.data->>'clusterId' = c.cluster_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE desired_reactor_clusters DROP COLUMN kubernetes_version, DROP COLUMN api_versions`,
    );
  }
}
