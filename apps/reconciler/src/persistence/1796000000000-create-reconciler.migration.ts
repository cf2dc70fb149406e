import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reconciler's own view (built from the topics only), its breaks and its alerts. Value lists in CHECK
 * constraints are spelled out: a migration is history and must not change when a TypeScript union grows.
 */
export class CreateReconciler1796000000000 implements MigrationInterface {
  name = 'CreateReconciler1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE expectation (
        destination       text        NOT NULL,
        idempotency_key   text        NOT NULL,
        protocol          text,
        operation         text,
        case_id           text,
        workflow_id       text,
        correlation_id    text,
        requested_at      timestamptz,
        result_at         timestamptz,
        status            text,
        error_class       text,
        provider_ref      text,
        applied_at        timestamptz,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT expectation_pkey PRIMARY KEY (destination, idempotency_key),
        CONSTRAINT expectation_protocol_ck CHECK (protocol IN ('REST', 'SOAP', 'SFTP'))
      )`);
    await q.query(`CREATE INDEX expectation_status_idx ON expectation (status, result_at)`);
    await q.query(`CREATE INDEX expectation_open_request_idx ON expectation (requested_at) WHERE result_at IS NULL`);
    await q.query(`CREATE INDEX expectation_key_idx ON expectation (idempotency_key)`);
    // Every writeback.result once (by event id): duplicates-prevented and error-class figures come from here.
    await q.query(`
      CREATE TABLE result_event (
        event_id        text        NOT NULL,
        destination     text        NOT NULL,
        idempotency_key text        NOT NULL,
        workflow_id     text        NOT NULL,
        status          text        NOT NULL,
        error_class     text,
        duplicate       boolean     NOT NULL,
        occurred_at     timestamptz NOT NULL,
        CONSTRAINT result_event_pkey PRIMARY KEY (event_id)
      )`);
    await q.query(`CREATE INDEX result_event_occurred_at_idx ON result_event (occurred_at)`);
    await q.query(`
      CREATE TABLE case_view (
        case_id             text        NOT NULL,
        workflow_id         text        NOT NULL,
        correlation_id      text        NOT NULL,
        triggered_at        timestamptz,
        completed_at        timestamptz,
        saw_exception       boolean     NOT NULL DEFAULT false,
        required_writebacks text[]      NOT NULL DEFAULT '{}',
        applied_writebacks  text[]      NOT NULL DEFAULT '{}',
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT case_view_pkey PRIMARY KEY (case_id)
      )`);
    await q.query(`CREATE INDEX case_view_completed_at_idx ON case_view (completed_at) WHERE completed_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE break (
        id                bigserial   NOT NULL,
        key               text        NOT NULL,
        kind              text        NOT NULL,
        destination       text        NOT NULL,
        idempotency_key   text,
        case_id           text,
        workflow_id       text,
        correlation_id    text,
        protocol          text,
        status            text        NOT NULL DEFAULT 'OPEN',
        detected_at       timestamptz NOT NULL DEFAULT now(),
        resolved_at       timestamptz,
        context           jsonb       NOT NULL,
        command           text        NOT NULL,
        command_id        text        NOT NULL,
        command_sent_at   timestamptz,
        replay_command_id text,
        replay_sent_at    timestamptz,
        CONSTRAINT break_pkey PRIMARY KEY (id),
        CONSTRAINT break_kind_ck CHECK (kind IN ('REQUESTED_NO_RESULT', 'UNKNOWN_PAST_TTL', 'APPLIED_MISSING_IN_CORE',
          'IN_CORE_NOT_REQUESTED', 'COMPLETED_WITHOUT_WRITEBACKS')),
        CONSTRAINT break_status_ck CHECK (status IN ('OPEN', 'RESOLVED')),
        CONSTRAINT break_resolved_ck CHECK ((status = 'RESOLVED') = (resolved_at IS NOT NULL)),
        CONSTRAINT break_command_ck CHECK (command IN ('RESOLVE', 'REPLAY', 'FLAG'))
      )`);
    // One open break per condition, however many passes find it.
    await q.query(`CREATE UNIQUE INDEX break_open_key_uq ON break (key) WHERE status = 'OPEN'`);
    await q.query(`
      CREATE TABLE alert (
        id          bigserial   NOT NULL,
        key         text        NOT NULL,
        kind        text        NOT NULL,
        status      text        NOT NULL DEFAULT 'OPEN',
        raised_at   timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        context     jsonb       NOT NULL,
        CONSTRAINT alert_pkey PRIMARY KEY (id),
        CONSTRAINT alert_kind_ck CHECK (kind IN ('SLO_BREACH', 'UNKNOWN_AGE')),
        CONSTRAINT alert_status_ck CHECK (status IN ('OPEN', 'RESOLVED')),
        CONSTRAINT alert_resolved_ck CHECK ((status = 'RESOLVED') = (resolved_at IS NOT NULL))
      )`);
    // One open alert per condition: the dedupe is the database's, not a cache's.
    await q.query(`CREATE UNIQUE INDEX alert_open_key_uq ON alert (key) WHERE status = 'OPEN'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['alert', 'break', 'case_view', 'result_event', 'expectation']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
