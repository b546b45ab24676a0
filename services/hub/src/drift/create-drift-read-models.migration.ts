import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drift read models (projection `hub-drift`): `hub_drift` holds what is drifted now, one row
 * per cluster, application and resource; `hub_drift_episodes` every episode from detection to
 * its end. An episode's id is the log position of the event that opened it, so a rebuild
 * gives the same ids.
 */
export class CreateDriftReadModels1764406800000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateDriftReadModels1764406800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE hub_drift_episodes (
        episode_id    bigint      PRIMARY KEY,
        cluster_id    text        NOT NULL,
        application   text        NOT NULL,
        resource_key  text        NOT NULL,
        resource      jsonb       NOT NULL,
        reason        text        NOT NULL,
        fields        jsonb       NOT NULL,
        mode          text        NOT NULL,
        detections    integer     NOT NULL,
        detected_at   timestamptz NOT NULL,
        ended_at      timestamptz,
        end_reason    text CHECK (end_reason IN ('corrected', 'resolved', 'pruned', 'removed', 'deregistered')),
        CHECK ((ended_at IS NULL) = (end_reason IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX hub_drift_episodes_detected_at_idx ON hub_drift_episodes (detected_at)`);
    await queryRunner.query(
      `CREATE INDEX hub_drift_episodes_cluster_idx ON hub_drift_episodes (cluster_id, application, episode_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX hub_drift_episodes_application_idx ON hub_drift_episodes (application, episode_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE hub_drift (
        cluster_id       text        NOT NULL,
        application      text        NOT NULL,
        resource_key     text        NOT NULL,
        resource         jsonb       NOT NULL,
        reason           text        NOT NULL,
        fields           jsonb       NOT NULL,
        mode             text        NOT NULL,
        since            timestamptz NOT NULL,
        last_detected_at timestamptz NOT NULL,
        episode_id       bigint      NOT NULL,
        position         bigint      NOT NULL,
        PRIMARY KEY (cluster_id, application, resource_key)
      )`);
    await queryRunner.query(`CREATE INDEX hub_drift_application_idx ON hub_drift (application)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hub_drift`);
    await queryRunner.query(`DROP TABLE hub_drift_episodes`);
  }
}
