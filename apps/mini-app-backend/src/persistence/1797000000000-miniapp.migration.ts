import { MiniappDocuments1797500000000 } from '../documents/1797500000000-miniapp-documents.migration';
import { MiniappSubmissionSession1797600000000 } from './1797600000000-miniapp-submission-session.migration';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';

/**
 * The mini-app schema. Secrets are kept only as hashes: the link token (SHA-256, as messaging keeps it), the session
 * id (SHA-256; the cookie holds the id), one-time codes (HMAC-SHA256 with MINIAPP_OTP_KEY), known facts (salted
 * scrypt, as trigger-ingest published them). No contact point is stored here.
 */
export class MiniApp1797000000000 implements MigrationInterface {
  name = 'MiniApp1797000000000';

  async up(q: QueryRunner): Promise<void> {
    // The links messaging sent (outreach.event SENT with `link`): opened once (OPEN → USED), or revoked.
    await q.query(`CREATE TABLE link (
      token_sha256   text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      case_id        text NOT NULL,
      outreach_id    text NOT NULL,
      customer_id    text NOT NULL,
      workflow_id    text NOT NULL,
      purpose        text NOT NULL,
      locale         text,
      channel        text NOT NULL,
      correlation_id text NOT NULL,
      sent_at        timestamptz NOT NULL,
      expires_at     timestamptz NOT NULL,
      status         text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'USED', 'REVOKED')),
      used_at        timestamptz,
      revoked_at     timestamptz,
      revoked_reason text,
      created_at     timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'USED') = (used_at IS NOT NULL)),
      CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL)))`);
    await q.query(`CREATE INDEX link_open_case_ix ON link (case_id) WHERE status = 'OPEN'`);
    // A revocation that arrived before the link it revokes (a case already terminal) is remembered here.
    await q.query(`CREATE TABLE revoked_case (
      case_id    text PRIMARY KEY,
      reason     text NOT NULL,
      revoked_at timestamptz NOT NULL DEFAULT now())`);
    // Sessions: the cookie carries the id, only its SHA-256 is kept. `ref` is the opaque reference events carry.
    await q.query(`CREATE TABLE session (
      id_sha256        text PRIMARY KEY CHECK (id_sha256 ~ '^[0-9a-f]{64}$'),
      ref              text NOT NULL UNIQUE,
      token_sha256     text NOT NULL UNIQUE REFERENCES link (token_sha256),
      case_id          text NOT NULL,
      outreach_id      text NOT NULL,
      customer_id      text NOT NULL,
      workflow_id      text NOT NULL,
      correlation_id   text NOT NULL,
      locale           text NOT NULL,
      csrf_token       text NOT NULL,
      status           text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'LOCKED', 'ENDED')),
      otp_verified_at  timestamptz,
      fact_verified_at timestamptz,
      otp_failures     integer NOT NULL DEFAULT 0,
      fact_failures    integer NOT NULL DEFAULT 0,
      created_at       timestamptz NOT NULL DEFAULT now(),
      last_seen_at     timestamptz NOT NULL DEFAULT now(),
      expires_at       timestamptz NOT NULL)`);
    // One-time codes: HMAC-SHA256 of the code only; single use, valid ten minutes.
    await q.query(`CREATE TABLE one_time_code (
      id           bigserial PRIMARY KEY,
      session_ref  text NOT NULL REFERENCES session (ref),
      code_hmac    text NOT NULL CHECK (code_hmac ~ '^[0-9a-f]{64}$'),
      expires_at   timestamptz NOT NULL,
      used_at      timestamptz,
      created_at   timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX one_time_code_session_ix ON one_time_code (session_ref, created_at DESC)`);
    // Known facts per customer (customer.facts.v1): the latest statement replaces the customer's facts whole.
    await q.query(`CREATE TABLE known_fact_statement (
      customer_id text PRIMARY KEY,
      event_id    text NOT NULL,
      occurred_at timestamptz NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE known_fact (
      customer_id text NOT NULL REFERENCES known_fact_statement (customer_id) ON DELETE CASCADE,
      name        text NOT NULL CHECK (name IN ('dateOfBirth', 'postalCode')),
      algorithm   text NOT NULL,
      salt        text NOT NULL,
      hash        text NOT NULL,
      PRIMARY KEY (customer_id, name))`);
    // The consent or terms text shown when the customer acted: its version and, when known, the text's SHA-256.
    await q.query(`CREATE TABLE consent (
      ref          text PRIMARY KEY,
      session_ref  text NOT NULL REFERENCES session (ref),
      case_id      text NOT NULL,
      text_version text NOT NULL,
      text_sha256  text CHECK (text_sha256 ~ '^[0-9a-f]{64}$'),
      shown_at     timestamptz NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now())`);
    // One row per business action: a double tap, a resubmitted form or a retried request finds it and publishes nothing.
    await q.query(`CREATE TABLE action_submission (
      idempotency_key text PRIMARY KEY,
      case_id         text NOT NULL,
      action_id       text NOT NULL,
      action          text NOT NULL,
      session_ref     text NOT NULL REFERENCES session (ref),
      consent_ref     text REFERENCES consent (ref),
      event_id        text NOT NULL UNIQUE,
      identity_method text NOT NULL,
      created_at      timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE processed_event (
      consumer     text NOT NULL,
      event_id     text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id))`);
    const ddl = outboxDdl('outbox');
    for (const statement of [...ddl.create, ...ddl.addSetAside]) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl('outbox').drop) await q.query(statement);
    for (const table of [
      'processed_event',
      'action_submission',
      'consent',
      'known_fact',
      'known_fact_statement',
      'one_time_code',
      'session',
      'revoked_case',
      'link',
    ])
      await q.query(`DROP TABLE ${table}`);
  }
}

/** Every migration of the mini-app schema, oldest first. A new migration is a new file added at the end. */
/** In order; the documents' tables are always migrated, whether or not the forms are wired. */
export const miniAppMigrations: Array<new () => MigrationInterface> = [
  MiniApp1797000000000,
  MiniappDocuments1797500000000,
  MiniappSubmissionSession1797600000000,
];
