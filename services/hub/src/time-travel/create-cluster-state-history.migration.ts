import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each cluster was meant to run and had applied, as rows with a validity interval
 * [valid_from, valid_to) on the log's recorded time (projection `hub-cluster-state-history`).
 * `slot` is `desired` for the cluster's assignment, `app:<name>` for an application's last
 * successful sync (kind `applied`) or its removal (kind `removed`). The rows valid at T are
 * the state at T: a plain replay of the log to T gives the same answer.
 */
export class CreateClusterStateHistory1764410400000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateClusterStateHistory1764410400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE hub_cluster_state_history (
        position    bigint      PRIMARY KEY,
        cluster_id  text        NOT NULL,
        slot        text        NOT NULL,
        kind        text        NOT NULL CHECK (kind IN ('desired', 'applied', 'removed')),
        data        jsonb       NOT NULL,
        valid_from  timestamptz NOT NULL,
        valid_to    timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX hub_cluster_state_history_at_idx ON hub_cluster_state_history (cluster_id, valid_from)`,
    );
    // Closing the open row of a slot on each change.
    await queryRunner.query(
      `CREATE UNIQUE INDEX hub_cluster_state_history_open_idx ON hub_cluster_state_history (cluster_id, slot) WHERE valid_to IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hub_cluster_state_history`);
  }
}
