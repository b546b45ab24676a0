import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The application status read model keeps why an application is not healthy (the agent's
 * message beside its health). A projection column: rows projected before it hold null
 * until the next health report, and a rebuild fills it from the log.
 */
export class AddApplicationHealthMessage1764700000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'AddApplicationHealthMessage1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE hub_application_status ADD COLUMN health_message text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE hub_application_status DROP COLUMN health_message`);
  }
}
