import type { MigrationInterface, QueryRunner } from 'typeorm';

// The log and the checkpoints of its projections. Append-only is enforced here, by the
// database, so that no code path (or person with the hub's credentials) can rewrite history;
// only a superuser who disables triggers can, and verify() then names the position.
export class CreateEventStore1764144000000 implements MigrationInterface {
  // Explicit: TypeORM would otherwise take constructor.name, which a minifier may change.
  readonly name = 'CreateEventStore1764144000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE events (
        position       bigserial   PRIMARY KEY,
        stream_id      text        COLLATE "C" NOT NULL CHECK (length(stream_id) BETWEEN 1 AND 200),
        version        integer     NOT NULL CHECK (version > 0),
        id             uuid        NOT NULL,
        type           text        NOT NULL CHECK (length(type) BETWEEN 1 AND 200),
        schema_version integer     NOT NULL CHECK (schema_version > 0),
        data           jsonb       NOT NULL,
        metadata       jsonb       NOT NULL,
        recorded_at    timestamptz NOT NULL,
        -- Length only: a regex CHECK here doubled the cost of an append, and verify()
        -- recomputes every hash anyway.
        prev_hash      text        NOT NULL CHECK (char_length(prev_hash) = 64),
        hash           text        NOT NULL CHECK (char_length(hash) = 64),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
        CONSTRAINT events_id_key UNIQUE (id)
      )`);
    // Every index is paid for on each append, so there are few. stream_id is in the "C"
    // collation (ids are ASCII names), which lets events_stream_version_key serve readStream,
    // the version check and `LIKE 'prefix%'` alike. The type index serves type filters in
    // position order; recorded_at grows with position in an append-only log, so a BRIN index
    // (a few pages, nearly free to maintain) serves time ranges.
    await queryRunner.query(`CREATE INDEX events_type_position_idx ON events (type, position)`);
    await queryRunner.query(`CREATE INDEX events_recorded_at_idx ON events USING brin (recorded_at)`);
    await queryRunner.query(`
      CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    // Statement-level, so even an UPDATE or DELETE that matches no row is refused.
    await queryRunner.query(`
      CREATE TRIGGER events_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()`);
    await queryRunner.query(`
      CREATE TABLE projection_checkpoints (
        name       text        PRIMARY KEY,
        position   bigint      NOT NULL CHECK (position >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE projection_checkpoints`);
    await queryRunner.query(`DROP TABLE events`);
    await queryRunner.query(`DROP FUNCTION events_refuse_change()`);
  }
}
