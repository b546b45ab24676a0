import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The sources read model: one row per live source with its fetch state. A projection: rebuildable from the log. */
export class CreateSourcesReadModel1764237600000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateSourcesReadModel1764237600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE hub_sources (
        name                      text        PRIMARY KEY,
        url                       text        NOT NULL,
        branch                    text        NOT NULL,
        poll_interval_seconds     integer     NOT NULL,
        credentials_ref           text,
        webhook_secret_ref        text,
        added_at                  timestamptz NOT NULL,
        added_by                  text        NOT NULL,
        status                    text        NOT NULL CHECK (status IN ('pending', 'ok', 'failing')),
        failing_since             timestamptz,
        last_error                text,
        last_error_at             timestamptz,
        last_commit_sha           text,
        last_commit_message       text,
        last_commit_author        text,
        last_commit_committed_at  timestamptz,
        last_observed_at          timestamptz,
        history_rewritten_at      timestamptz,
        webhook_rejections        integer     NOT NULL DEFAULT 0,
        last_webhook_rejected_at  timestamptz,
        last_webhook_rejection    text,
        position                  bigint      NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hub_sources`);
  }
}
