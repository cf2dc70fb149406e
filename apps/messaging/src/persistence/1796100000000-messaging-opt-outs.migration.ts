import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Opt-outs the customer states to messaging (a STOP reply): a revocation covers a purpose (or every purpose, `*`)
 * on every channel. Inbound replies find their customer by the sending phone number, hence its index.
 */
export class MessagingOptOuts1796100000000 implements MigrationInterface {
  name = 'MessagingOptOuts1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE consent_revocation (
      id           bigserial PRIMARY KEY,
      customer_id  text NOT NULL,
      purpose      text NOT NULL CHECK (purpose <> ''),
      channel      text NOT NULL CHECK (channel IN ('SMS', 'EMAIL', 'WHATSAPP')),
      source       text NOT NULL,
      provider_ref text NOT NULL,
      revoked_at   timestamptz NOT NULL,
      CONSTRAINT consent_revocation_reply_uq UNIQUE (provider_ref, customer_id, purpose))`);
    await q.query('CREATE INDEX consent_revocation_customer_ix ON consent_revocation (customer_id)');
    await q.query('CREATE INDEX contact_phone_ix ON contact (phone) WHERE phone IS NOT NULL');
    await q.query('CREATE INDEX send_provider_ref_ix ON send (provider_ref) WHERE provider_ref IS NOT NULL');
    await q.query('CREATE INDEX send_message_id_ix ON send (message_id) WHERE message_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of ['send_message_id_ix', 'send_provider_ref_ix', 'contact_phone_ix'])
      await q.query(`DROP INDEX ${index}`);
    await q.query('DROP TABLE consent_revocation');
  }
}
