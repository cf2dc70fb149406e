import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';
import { tablesOf } from './migration-tables';

/**
 * The writeback ledger, its append-only attempt and conflict logs, and the transactional outbox (its DDL is
 * `outboxDdl` of `@closeout/outbox`, the one every schema with an outbox migrates with).
 *
 * Tables are created in the data source's schema (`writeback_rest`, `writeback_soap`, …) read from the driver, so
 * one migration serves every writeback service. Value lists in CHECK constraints are spelled out here on purpose:
 * a migration is history and must not change when a TypeScript union later grows — that takes a new migration.
 */
export class CreateWritebackLedger1795317000000 implements MigrationInterface {
  name = 'CreateWritebackLedger1795317000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = tablesOf(queryRunner);
    const s = `"${t.schema}"`;

    await queryRunner.query(`
      CREATE TABLE ${t.ledger} (
        id                 bigserial   NOT NULL,
        destination        text        NOT NULL,
        idempotency_key    text        NOT NULL,
        fingerprint        text        NOT NULL,
        operation          text        NOT NULL,
        protocol           text        NOT NULL,
        case_id            text        NOT NULL,
        workflow_id        text        NOT NULL,
        correlation_id     text        NOT NULL,
        causation_id       text,
        request            jsonb       NOT NULL,
        status             text        NOT NULL DEFAULT 'PENDING',
        claimed_from       text,
        attempts           integer     NOT NULL DEFAULT 0,
        provider_ref       text,
        last_error_class   text,
        last_error_message text,
        contract_version   text        NOT NULL,
        mapping_version    text        NOT NULL,
        lease_owner        text,
        lease_expires_at   timestamptz,
        next_attempt_at    timestamptz,
        unknown_since      timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        applied_at         timestamptz,
        CONSTRAINT ledger_pkey PRIMARY KEY (id),
        -- The dedupe: one row per business action and destination, whatever Kafka redelivers.
        CONSTRAINT ledger_destination_idempotency_key_uq UNIQUE (destination, idempotency_key),
        CONSTRAINT ledger_status_ck CHECK (status IN
          ('PENDING', 'IN_FLIGHT', 'APPLIED', 'FAILED_RETRYABLE', 'FAILED_PERMANENT', 'UNKNOWN', 'REJECTED_CONFLICT', 'COMPENSATED')),
        CONSTRAINT ledger_claimed_from_ck CHECK (claimed_from IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN', 'IN_FLIGHT')),
        CONSTRAINT ledger_protocol_ck CHECK (protocol IN ('REST', 'SOAP', 'SFTP')),
        CONSTRAINT ledger_last_error_class_ck CHECK (last_error_class IN
          ('TRANSIENT', 'RATE_LIMITED', 'VALIDATION', 'AMBIGUOUS', 'CONFLICT', 'CIRCUIT_OPEN')),
        CONSTRAINT ledger_attempts_ck CHECK (attempts >= 0),
        -- A lease is an owner and an expiry together, and only a row being worked holds one: IN_FLIGHT (sending) or
        -- UNKNOWN (being resolved). A row in flight without a lease could never be reclaimed.
        CONSTRAINT ledger_lease_ck CHECK (
          (lease_owner IS NULL) = (lease_expires_at IS NULL)
          AND (lease_owner IS NULL OR status IN ('IN_FLIGHT', 'UNKNOWN'))
          AND (status <> 'IN_FLIGHT' OR lease_owner IS NOT NULL)),
        CONSTRAINT ledger_applied_at_ck CHECK (status NOT IN ('APPLIED', 'COMPENSATED') OR applied_at IS NOT NULL),
        -- A workable row without a due time would never be claimed again: stuck, silently.
        CONSTRAINT ledger_schedule_ck CHECK (
          status NOT IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN', 'IN_FLIGHT') OR next_attempt_at IS NOT NULL)
      )`);
    // Claiming scans only rows a worker could take (waiting, or leased with next_attempt_at = lease expiry), in due
    // order, and stops at LIMIT. Partial, so the settled rows that make up most of the table cost nothing here.
    await queryRunner.query(`
      CREATE INDEX ledger_due_idx ON ${t.ledger} (next_attempt_at, id)
      WHERE status IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN', 'IN_FLIGHT')`);
    // The age of the oldest unresolved outcome is an alert; this keeps it an index lookup.
    await queryRunner.query(`
      CREATE INDEX ledger_unknown_since_idx ON ${t.ledger} (unknown_since) WHERE unknown_since IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX ledger_status_idx ON ${t.ledger} (status)`);
    await queryRunner.query(`CREATE INDEX ledger_case_id_idx ON ${t.ledger} (case_id)`);

    await queryRunner.query(`
      CREATE TABLE ${t.attempt} (
        id            bigserial   NOT NULL,
        ledger_id     bigint      NOT NULL,
        attempt_no    integer     NOT NULL,
        kind          text        NOT NULL,
        worker        text,
        outcome       text        NOT NULL,
        started_at    timestamptz NOT NULL,
        finished_at   timestamptz NOT NULL,
        error_class   text,
        error_message text,
        provider_code text,
        provider_ref  text,
        latency_ms    integer     NOT NULL,
        recorded_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_attempt_pkey PRIMARY KEY (id),
        CONSTRAINT ledger_attempt_ledger_fk FOREIGN KEY (ledger_id) REFERENCES ${t.ledger} (id),
        CONSTRAINT ledger_attempt_no_uq UNIQUE (ledger_id, attempt_no),
        CONSTRAINT ledger_attempt_kind_ck CHECK (kind IN ('send', 'resolve')),
        CONSTRAINT ledger_attempt_outcome_ck CHECK (outcome IN
          ('PENDING', 'IN_FLIGHT', 'APPLIED', 'FAILED_RETRYABLE', 'FAILED_PERMANENT', 'UNKNOWN', 'REJECTED_CONFLICT', 'COMPENSATED')),
        CONSTRAINT ledger_attempt_error_class_ck CHECK (error_class IN
          ('TRANSIENT', 'RATE_LIMITED', 'VALIDATION', 'AMBIGUOUS', 'CONFLICT', 'CIRCUIT_OPEN')),
        CONSTRAINT ledger_attempt_latency_ck CHECK (latency_ms >= 0 AND finished_at >= started_at)
      )`);

    await queryRunner.query(`
      CREATE TABLE ${t.conflict} (
        id                   bigserial   NOT NULL,
        ledger_id            bigint      NOT NULL,
        destination          text        NOT NULL,
        idempotency_key      text        NOT NULL,
        fingerprint          text        NOT NULL,
        existing_fingerprint text        NOT NULL,
        event_id             text        NOT NULL,
        correlation_id       text        NOT NULL,
        causation_id         text,
        request              jsonb       NOT NULL,
        received_at          timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_conflict_pkey PRIMARY KEY (id),
        CONSTRAINT ledger_conflict_ledger_fk FOREIGN KEY (ledger_id) REFERENCES ${t.ledger} (id),
        -- Kafka redelivers: the same rejected event is recorded once.
        CONSTRAINT ledger_conflict_event_uq UNIQUE (ledger_id, event_id),
        CONSTRAINT ledger_conflict_fingerprint_ck CHECK (fingerprint <> existing_fingerprint)
      )`);

    // Evidence is never edited: attempts and conflicts are insert-only, enforced in the database rather than by
    // code review, so neither a bug nor a hand-run statement can rewrite what happened.
    await queryRunner.query(`
      CREATE FUNCTION ${s}.reject_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '%.% is append-only: % rejected', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$`);
    for (const table of [t.attempt, t.conflict]) {
      const name = table === t.attempt ? 'ledger_attempt' : 'ledger_conflict';
      await queryRunner.query(`
        CREATE TRIGGER ${name}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ${s}.reject_append_only_change()`);
      await queryRunner.query(`
        CREATE TRIGGER ${name}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.reject_append_only_change()`);
    }

    for (const statement of outboxDdl(t.outbox).create) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const t = tablesOf(queryRunner);
    const s = `"${t.schema}"`;
    for (const statement of outboxDdl(t.outbox).drop) await queryRunner.query(statement);
    await queryRunner.query(`DROP TABLE ${t.conflict}`);
    await queryRunner.query(`DROP TABLE ${t.attempt}`);
    await queryRunner.query(`DROP FUNCTION ${s}.reject_append_only_change()`);
    await queryRunner.query(`DROP TABLE ${t.ledger}`);
  }
}

/** The schema the data source was configured with (or the connection's current schema when none was). */
