import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A registered cluster that has not sent a heartbeat yet is `pending` everywhere (API, CLI,
 * console); the clusters read model stored it as `unknown` and translated on read. A
 * projection column, so the rows are rewritten in place; no event changes.
 */
export class RenameUnknownConnectionToPending1764800000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'RenameUnknownConnectionToPending1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE hub_clusters DROP CONSTRAINT hub_clusters_connection_check`);
    await queryRunner.query(`UPDATE hub_clusters SET connection = 'pending' WHERE connection = 'unknown'`);
    await queryRunner.query(
      `ALTER TABLE hub_clusters ADD CONSTRAINT hub_clusters_connection_check CHECK (connection IN ('pending', 'connected', 'disconnected'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE hub_clusters DROP CONSTRAINT hub_clusters_connection_check`);
    await queryRunner.query(`UPDATE hub_clusters SET connection = 'unknown' WHERE connection = 'pending'`);
    await queryRunner.query(
      `ALTER TABLE hub_clusters ADD CONSTRAINT hub_clusters_connection_check CHECK (connection IN ('unknown', 'connected', 'disconnected'))`,
    );
  }
}
