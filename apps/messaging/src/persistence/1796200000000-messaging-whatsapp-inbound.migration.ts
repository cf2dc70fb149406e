import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last inbound WhatsApp message per customer, from the webhooks: it opens the 24-hour customer-service window in
 * which free-form text may be sent (outside it, only an approved template). Kept with the number it came from, since
 * the window belongs to that number: a customer whose number changed has no window on the new one. Personal data (the
 * number) stays in this schema like `contact`'s.
 */
export class MessagingWhatsAppInbound1796200000000 implements MigrationInterface {
  name = 'MessagingWhatsAppInbound1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE whatsapp_inbound (
      customer_id     text PRIMARY KEY,
      phone           text NOT NULL,
      last_inbound_at timestamptz NOT NULL,
      provider_ref    text NOT NULL,
      updated_at      timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE whatsapp_inbound');
  }
}
