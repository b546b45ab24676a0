import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The desired-state tables. `bundles` holds rendered bundles by digest (never in the log:
 * they may carry Secret data); `desired_states` the latest assignment of each cluster (the
 * signed answer to an agent's request is made from it); `desired_state_bundles` which
 * digests a cluster may fetch; `desired_reactor_*` the reactor's view of the log (clusters,
 * groups, sources, applications) at its checkpoint, written in the checkpoint's transaction.
 */
export class CreateDesiredState1764500000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateDesiredState1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE bundles (
        digest      text        PRIMARY KEY,
        content     text        NOT NULL,
        size        integer     NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE desired_states (
        cluster_id    text        PRIMARY KEY,
        revision      integer     NOT NULL,
        applications  jsonb       NOT NULL,
        payload       bytea       NOT NULL,
        position      bigint      NOT NULL,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE desired_state_bundles (
        cluster_id  text NOT NULL,
        digest      text NOT NULL,
        PRIMARY KEY (cluster_id, digest)
      )`);
    await queryRunner.query(`
      CREATE TABLE desired_reactor_clusters (
        cluster_id  text  PRIMARY KEY,
        name        text  NOT NULL,
        labels      jsonb NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE desired_reactor_groups (
        name      text  PRIMARY KEY,
        selector  jsonb NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE desired_reactor_sources (
        name             text PRIMARY KEY,
        url              text NOT NULL,
        branch           text NOT NULL,
        credentials_ref  text,
        latest_commit    text
      )`);
    await queryRunner.query(`
      CREATE TABLE desired_reactor_applications (
        name           text  PRIMARY KEY,
        spec           jsonb NOT NULL,
        pinned_commit  text,
        good_commit    text,
        failed_commit  text
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'desired_reactor_applications',
      'desired_reactor_sources',
      'desired_reactor_groups',
      'desired_reactor_clusters',
      'desired_state_bundles',
      'desired_states',
      'bundles',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
