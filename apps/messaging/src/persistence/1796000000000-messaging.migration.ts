import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';
import { MessagingOptOuts1796100000000 } from './1796100000000-messaging-opt-outs.migration';
import { MessagingWhatsAppInbound1796200000000 } from './1796200000000-messaging-whatsapp-inbound.migration';
import { MessagingMiniApp1796300000000 } from './1796300000000-messaging-mini-app.migration';
import { OutboxTraceContext1796900000000 } from './1796900000000-outbox-trace-context.migration';
import { SendTraceContext1797950000000 } from './1797950000000-send-trace-context.migration';

/**
 * The messaging schema. Personal data (contact points, consents) stays in `contact` and `contact_consent`; nothing
 * else here holds a contact point. Statuses of the send ledger and their moves: `sends/send-status.ts`.
 */
export class Messaging1796000000000 implements MigrationInterface {
  name = 'Messaging1796000000000';

  async up(q: QueryRunner): Promise<void> {
    // The contact directory: the latest statement per customer (customer.contact.v1), whole.
    await q.query(`CREATE TABLE contact (
      customer_id     text PRIMARY KEY,
      email           text,
      phone           text,
      time_zone       text,
      locale          text,
      source_system   text NOT NULL,
      source_event_id text NOT NULL,
      stated_at       timestamptz NOT NULL,
      updated_at      timestamptz NOT NULL DEFAULT now())`);
    // Consent per channel and purpose: the latest statement wins (a revocation wins a tie).
    await q.query(`CREATE TABLE contact_consent (
      customer_id text NOT NULL,
      channel     text NOT NULL CHECK (channel IN ('SMS', 'EMAIL', 'WHATSAPP')),
      purpose     text NOT NULL CHECK (purpose <> ''),
      granted     boolean NOT NULL,
      source      text NOT NULL,
      stated_at   timestamptz NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (customer_id, channel, purpose))`);
    // The send ledger: one row per (outreach, attempt); the work queue of the send worker.
    await q.query(`CREATE TABLE send (
      id               bigserial PRIMARY KEY,
      outreach_id      text NOT NULL,
      attempt          integer NOT NULL,
      case_id          text NOT NULL,
      workflow_id      text NOT NULL,
      customer_id      text NOT NULL,
      requested_channel text NOT NULL,
      channel          text NOT NULL,
      template_id      text NOT NULL,
      purpose          text NOT NULL,
      link_expires_at  timestamptz NOT NULL,
      idempotency_key  text NOT NULL,
      correlation_id   text NOT NULL,
      request_event_id text NOT NULL,
      status           text NOT NULL CHECK (status IN
        ('RECEIVED', 'DEFERRED', 'RETRY_WAIT', 'SENDING', 'UNKNOWN', 'SENT', 'DELIVERED', 'FAILED', 'SUPPRESSED')),
      next_due_at      timestamptz,
      lease_owner      text,
      lease_until      timestamptz,
      send_attempts    integer NOT NULL DEFAULT 0,
      failed_channels  text[] NOT NULL DEFAULT '{}',
      message_id       text,
      provider         text,
      provider_ref     text,
      reason           text,
      sending_since    timestamptz,
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT send_outreach_attempt_uq UNIQUE (outreach_id, attempt))`);
    await q.query(
      `CREATE INDEX send_due_ix ON send (next_due_at) WHERE status IN ('RECEIVED', 'DEFERRED', 'RETRY_WAIT', 'SENDING', 'UNKNOWN')`,
    );
    // Attempts that may have reached a customer, durable for the frequency caps.
    await q.query(`CREATE TABLE contact_attempt (
      id           bigserial PRIMARY KEY,
      customer_id  text NOT NULL,
      purpose      text NOT NULL,
      channel      text NOT NULL,
      send_id      bigint NOT NULL REFERENCES send (id),
      attempted_at timestamptz NOT NULL)`);
    await q.query(
      'CREATE INDEX contact_attempt_customer_ix ON contact_attempt (customer_id, purpose, attempted_at)',
    );
    // Mini-app links: only the SHA-256 of the token is kept; the mini-app verifies a presented token against it.
    await q.query(`CREATE TABLE link (
      token_sha256 text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      case_id      text NOT NULL,
      outreach_id  text NOT NULL,
      send_id      bigint NOT NULL REFERENCES send (id),
      purpose      text NOT NULL,
      expires_at   timestamptz NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now())`);
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
    for (const table of ['processed_event', 'link', 'contact_attempt', 'send', 'contact_consent', 'contact'])
      await q.query(`DROP TABLE ${table}`);
  }
}

/** Every migration of the messaging schema, oldest first. A new migration is a new file added at the end. */
export const messagingMigrations = [
  Messaging1796000000000,
  MessagingOptOuts1796100000000,
  MessagingWhatsAppInbound1796200000000,
  MessagingMiniApp1796300000000,
  OutboxTraceContext1796900000000,
  SendTraceContext1797950000000,
];
