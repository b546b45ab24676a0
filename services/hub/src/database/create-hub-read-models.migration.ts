import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hub's read models. They are projections of the event log: any of them can be
 * dropped and rebuilt by resetting its checkpoint, so they carry no data of their own.
 */
export class CreateHubReadModels1764147600000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateHubReadModels1764147600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE hub_clusters (
        cluster_id            text        PRIMARY KEY,
        name                  text        NOT NULL,
        labels                jsonb       NOT NULL,
        public_key            text        NOT NULL,
        agent_version         text        NOT NULL,
        kubernetes_version    text        NOT NULL,
        registered_at         timestamptz NOT NULL,
        registered_by_token   text        NOT NULL,
        deregistered_at       timestamptz,
        connection            text        NOT NULL CHECK (connection IN ('unknown', 'connected', 'disconnected')),
        connection_changed_at timestamptz,
        last_seen_at          timestamptz,
        labels_changed_at     timestamptz,
        position              bigint      NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX hub_clusters_name_idx ON hub_clusters (name)`);
    await queryRunner.query(`CREATE INDEX hub_clusters_labels_idx ON hub_clusters USING gin (labels)`);
    await queryRunner.query(`
      CREATE TABLE hub_cluster_groups (
        name        text        PRIMARY KEY,
        selector    jsonb       NOT NULL,
        description text        NOT NULL,
        created_at  timestamptz NOT NULL,
        created_by  text        NOT NULL,
        position    bigint      NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hub_cluster_groups`);
    await queryRunner.query(`DROP TABLE hub_clusters`);
  }
}
