import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the mini-app's side needs of messaging: the locale each link's message rendered in (published with the link on
 * SENT, and the locale its one-time codes are sent in), and the messages sent for a link at the mini-app's request
 * (`link_message`, kind `one-time-code`): the record of each send without its content, and the durable count the
 * per-link rate limit reads.
 */
export class MessagingMiniApp1796300000000 implements MigrationInterface {
  name = 'MessagingMiniApp1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE link ADD COLUMN locale text');
    await q.query(`CREATE TABLE link_message (
      id            bigserial PRIMARY KEY,
      token_sha256  text NOT NULL REFERENCES link (token_sha256),
      kind          text NOT NULL CHECK (kind IN ('one-time-code')),
      channel       text NOT NULL CHECK (channel IN ('SMS', 'EMAIL', 'WHATSAPP')),
      status        text NOT NULL CHECK (status IN ('SENDING', 'SENT', 'FAILED')),
      provider      text,
      provider_ref  text,
      reason        text,
      requested_at  timestamptz NOT NULL,
      updated_at    timestamptz NOT NULL DEFAULT now())`);
    await q.query('CREATE INDEX link_message_link_ix ON link_message (token_sha256, requested_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE link_message');
    await q.query('ALTER TABLE link DROP COLUMN locale');
  }
}
