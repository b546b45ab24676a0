import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The application status read model: one row per (application, cluster) the application is
 * assigned to, and the resources that drifted there. A projection: rebuildable from the log.
 */
export class CreateApplicationStatusReadModel1764600000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateApplicationStatusReadModel1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE hub_application_status (
        application       text        NOT NULL,
        cluster_id        text        NOT NULL,
        desired_revision  integer     NOT NULL,
        desired_commit    text        NOT NULL,
        desired_bundle    text        NOT NULL,
        applied_commit    text,
        applied_bundle    text,
        sync              text        NOT NULL CHECK (sync IN ('pending', 'syncing', 'synced', 'failed')),
        health            text        CHECK (health IN ('healthy', 'progressing', 'degraded', 'missing')),
        last_sync_at      timestamptz,
        message           text,
        position          bigint      NOT NULL,
        PRIMARY KEY (application, cluster_id)
      )`);
    await queryRunner.query(`CREATE INDEX hub_application_status_cluster_idx ON hub_application_status (cluster_id)`);
    await queryRunner.query(`
      CREATE TABLE hub_application_drift (
        application   text        NOT NULL,
        cluster_id    text        NOT NULL,
        resource_key  text        NOT NULL,
        resource      jsonb       NOT NULL,
        since         timestamptz NOT NULL,
        PRIMARY KEY (application, cluster_id, resource_key)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hub_application_drift`);
    await queryRunner.query(`DROP TABLE hub_application_status`);
  }
}
