import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The applications read model: one row per application name, kept after deletion (marked
 * `deleted`) so a list can show what was removed and by whom. A projection: rebuildable from the log.
 */
export class CreateApplicationsReadModel1764324000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateApplicationsReadModel1764324000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE hub_applications (
        name                    text        PRIMARY KEY,
        spec                    jsonb       NOT NULL,
        source                  text        NOT NULL,
        pinned_commit           text,
        pinned_at               timestamptz,
        pinned_by               text,
        created_at              timestamptz NOT NULL,
        created_by              text        NOT NULL,
        updated_at              timestamptz NOT NULL,
        updated_by              text        NOT NULL,
        deleted                 boolean     NOT NULL DEFAULT false,
        deleted_at              timestamptz,
        deleted_by              text,
        sync_requested_at       timestamptz,
        sync_requested_by       text,
        sync_requested_cluster  text,
        position                bigint      NOT NULL
      )`);
    // The renderer asks "which applications use this source" on every observed commit.
    await queryRunner.query(`CREATE INDEX hub_applications_source_idx ON hub_applications (source) WHERE NOT deleted`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hub_applications`);
  }
}
