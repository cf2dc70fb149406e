import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The role whose only rights on the store are INSERT and SELECT; the writer's transactions run as it. */
export const AUDIT_WRITER_ROLE = 'closeout_audit_writer';

/**
 * The audit store: records hash-chained in `seq` order and the signed checkpoints over them. Both tables are
 * append-only in the database itself: a trigger refuses every UPDATE, DELETE and TRUNCATE, whoever asks (only a
 * superuser or the tables' owner can disable it, which is what the tamper spec does to play the attacker), and the
 * writer's role is granted INSERT and SELECT only.
 */
export class AuditStore1797600000000 implements MigrationInterface {
  name = 'AuditStore1797600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE record (
      seq          bigint PRIMARY KEY,
      event_id     text NOT NULL UNIQUE,
      case_id      text NULL,
      occurred_at  timestamptz NOT NULL,
      stored_at    timestamptz NOT NULL DEFAULT now(),
      action       text NOT NULL,
      service      text NOT NULL,
      event        jsonb NOT NULL,
      canonical    text NOT NULL,
      prev_hash    text NOT NULL,
      hash         text NOT NULL)`);
    // The case query reads a case's records in seq order.
    await q.query(`CREATE INDEX record_case_ix ON record (case_id, seq) WHERE case_id IS NOT NULL`);
    await q.query(`CREATE TABLE checkpoint (
      seq              bigint PRIMARY KEY,
      last_record_seq  bigint NOT NULL,
      last_record_hash text NOT NULL,
      prev_signature   text NULL,
      signed_at        timestamptz NOT NULL,
      key_id           text NOT NULL,
      signature        text NOT NULL)`);
    await q.query(`CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit store is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['record', 'checkpoint']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION refuse_audit_change()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change()`);
      await q.query(`REVOKE ALL ON ${table} FROM PUBLIC`);
    }
    // The writer's role: created where the migrating user may create roles (the devstack's superuser may; a managed
    // database's migration user may not, and its operator grants the same to the service's role by hand).
    await q.query(`DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
          CREATE ROLE ${AUDIT_WRITER_ROLE} NOLOGIN;
        END IF;
      EXCEPTION WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await q.query(`DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
          EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${AUDIT_WRITER_ROLE}', current_schema());
          GRANT SELECT, INSERT ON record, checkpoint TO ${AUDIT_WRITER_ROLE};
          IF NOT pg_has_role(current_user, '${AUDIT_WRITER_ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT ${AUDIT_WRITER_ROLE} TO %I', current_user);
          END IF;
        END IF;
      EXCEPTION WHEN insufficient_privilege THEN NULL;
      END $$`);
  }

  async down(): Promise<void> {
    // An audit store is never rolled back: dropping it would destroy the evidence.
    throw new Error('the audit store migration cannot be reverted');
  }
}

export const auditMigrations = [AuditStore1797600000000];
