import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes that let the history API answer "what happened to this cluster / application /
 * commit, by whom, when" without scanning the log. Every index on `events` is paid on each
 * append, so they are expression indexes on the few keys the filters use, partial where the
 * key exists on some event types only (a filter `x = value` implies `x IS NOT NULL`, so the
 * planner proves the partial index applies). Each carries `position` so that one filter
 * ordered by position (newest or oldest first) reads the index in order and stops at the page.
 *
 * The stream prefix (stream_id, in the "C" collation) and type indexes come with the event
 * store. Built without CONCURRENTLY: on an existing large log the migration holds appends
 * for the duration of the build (about a second per 100,000 events here); agents keep their
 * reports in their outboxes meanwhile.
 */
export class AddHistoryIndexes1764403200000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'AddHistoryIndexes1764403200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX events_cluster_id_idx ON events ((data->>'clusterId'), position) WHERE (data->>'clusterId') IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX events_application_idx ON events ((data->>'application'), position) WHERE (data->>'application') IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX events_source_idx ON events ((data->>'source'), position) WHERE (data->>'source') IS NOT NULL`,
    );
    // text_pattern_ops: a short commit prefix (`LIKE 'ab12cd3%'`) uses the index whatever the database collation.
    await queryRunner.query(
      `CREATE INDEX events_commit_idx ON events ((data->>'commit') text_pattern_ops, position) WHERE (data->>'commit') IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX events_sha_idx ON events ((data->>'sha') text_pattern_ops, position) WHERE (data->>'sha') IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX events_actor_idx ON events ((metadata->>'actor'), position)`);
    // A desired state names its applications, sources and commits inside an array.
    await queryRunner.query(
      `CREATE INDEX events_desired_applications_idx ON events USING gin ((data->'applications') jsonb_path_ops)
       WHERE type = 'DesiredStateAssigned'`,
    );
    // The store's BRIN index finds time ranges cheaply but in bulk; a time bound combined
    // with "newest first, 100 per page" needs the btree to start at the right place.
    await queryRunner.query(`CREATE INDEX events_recorded_at_btree_idx ON events (recorded_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of [
      'events_recorded_at_btree_idx',
      'events_desired_applications_idx',
      'events_actor_idx',
      'events_sha_idx',
      'events_commit_idx',
      'events_source_idx',
      'events_application_idx',
      'events_cluster_id_idx',
    ]) {
      await queryRunner.query(`DROP INDEX ${index}`);
    }
  }
}
