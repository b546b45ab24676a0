import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reactor's view of each application's object policy (what it may create), by
 * application name, from `ApplicationPolicySet`. A name with no row gets the default policy.
 * Written in the reactor's checkpoint transaction like the other `desired_reactor_*` tables;
 * policies are new events, so there is nothing in an existing log to backfill.
 */
export class AddApplicationPolicies1764810000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'AddApplicationPolicies1764810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE desired_reactor_policies (
        application  text  PRIMARY KEY,
        policy       jsonb NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE desired_reactor_policies`);
  }
}
