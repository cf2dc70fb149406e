import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';

/**
 * The case engine's durable state: what a case knows and decided (cases), its timeline, the writebacks that prove
 * it, durable timers, the exception queue, an inbox that makes every incoming event idempotent, and the
 * transactional outbox the relay publishes to Kafka.
 */
export class CaseEngine1732240000002 implements MigrationInterface {
  name = 'CaseEngine1732240000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases
      ADD COLUMN facts jsonb NOT NULL DEFAULT '{}'::jsonb,
      ADD COLUMN offered_actions jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN chosen_action jsonb,
      ADD COLUMN retry_round int NOT NULL DEFAULT 0,
      ADD COLUMN outreach_attempts int NOT NULL DEFAULT 0,
      ADD COLUMN completed_at timestamptz,
      ADD CONSTRAINT cases_state_ck CHECK (state IN
        ('TRIGGERED','OUTREACH','AWAITING_CUSTOMER','AWAITING_WRITEBACK','COMPLETED','EXCEPTION','EXPIRED','CLOSED'))`);
    await q.query(`CREATE INDEX cases_state_idx ON cases (state, updated_at)`);

    // Append-only timeline: what happened to the case, which rule and definition version decided it.
    await q.query(`CREATE TABLE case_event (
      id bigserial PRIMARY KEY,
      case_id text NOT NULL REFERENCES cases (case_id),
      occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      kind text NOT NULL,
      detail jsonb NOT NULL DEFAULT '{}'::jsonb,
      rule_id text,
      definition_version text NOT NULL,
      causation_id text,
      audit_event_id text)`);
    await q.query(`CREATE INDEX case_event_case_idx ON case_event (case_id, id)`);

    await q.query(`CREATE TABLE case_writeback (
      destination text NOT NULL,
      idempotency_key text NOT NULL,
      case_id text NOT NULL REFERENCES cases (case_id),
      writeback_id text NOT NULL,
      protocol text NOT NULL,
      operation text NOT NULL,
      mapping_version text NOT NULL,
      contract_version text NOT NULL,
      required boolean NOT NULL,
      retry_round int NOT NULL DEFAULT 0,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'PENDING',
      error_class text,
      error_message text,
      provider_ref text,
      attempts int NOT NULL DEFAULT 0,
      requested_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      applied_at timestamptz,
      superseded boolean NOT NULL DEFAULT false,
      PRIMARY KEY (destination, idempotency_key))`);
    await q.query(`CREATE INDEX case_writeback_case_idx ON case_writeback (case_id)`);

    // A timer fires once: its fired_at is set in the transaction that carries out its effect.
    await q.query(`CREATE TABLE case_timer (
      timer_id text PRIMARY KEY,
      case_id text NOT NULL REFERENCES cases (case_id),
      kind text NOT NULL CHECK (kind IN ('REMINDER','EXPIRY','WRITEBACK_SLO','ESCALATION')),
      due_at timestamptz NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      fired_at timestamptz,
      cancelled_at timestamptz,
      CHECK (fired_at IS NULL OR cancelled_at IS NULL))`);
    await q.query(
      `CREATE INDEX case_timer_due_idx ON case_timer (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL`,
    );
    await q.query(`CREATE INDEX case_timer_case_idx ON case_timer (case_id)`);

    await q.query(`CREATE TABLE exception_item (
      exception_id text PRIMARY KEY,
      case_id text NOT NULL REFERENCES cases (case_id),
      kind text NOT NULL,
      queue text NOT NULL,
      priority text NOT NULL,
      status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN','RESOLVED')),
      summary text NOT NULL,
      context jsonb NOT NULL,
      opened_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      resolution jsonb)`);
    await q.query(
      `CREATE UNIQUE INDEX exception_item_open_uq ON exception_item (case_id, kind) WHERE status = 'OPEN'`,
    );
    await q.query(`CREATE INDEX exception_item_queue_idx ON exception_item (status, queue, opened_at)`);

    // Inbox: an event id seen once per consumer; a redelivery finds its row and changes nothing.
    await q.query(`CREATE TABLE processed_event (
      consumer text NOT NULL,
      event_id text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id))`);
    // A customer action is one business action per (case, idempotency key), whatever its event ids.
    await q.query(`CREATE TABLE case_action (
      case_id text NOT NULL REFERENCES cases (case_id),
      idempotency_key text NOT NULL,
      event_id text NOT NULL,
      action text NOT NULL,
      outcome text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (case_id, idempotency_key))`);

    // The shared outbox shape (OutboxRelay publishes it); PostgreSQL named this migration's CHECKs.
    for (const statement of outboxDdl('outbox', { checkSuffix: 'check' }).create) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl('outbox').drop) await q.query(statement);
    for (const table of [
      'case_action',
      'processed_event',
      'exception_item',
      'case_timer',
      'case_writeback',
      'case_event',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
    await q.query(`ALTER TABLE cases DROP CONSTRAINT cases_state_ck, DROP COLUMN facts, DROP COLUMN offered_actions,
      DROP COLUMN chosen_action, DROP COLUMN retry_round, DROP COLUMN outreach_attempts, DROP COLUMN completed_at`);
  }
}
