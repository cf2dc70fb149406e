/**
 * When each customer last wrote to us on WhatsApp (`whatsapp_inbound`): what opens the 24-hour customer-service
 * window. Written by the webhooks, read by the policy before a WhatsApp send.
 */
import type { EntityManager } from 'typeorm';

/**
 * Records an inbound WhatsApp message of the customer from `phone` at `at`, in the caller's transaction. The latest
 * wins (a redelivered or late webhook does not move it back); a message from another number than the one held
 * replaces it, the window being that number's.
 */
export async function recordWhatsAppInbound(
  tx: EntityManager,
  inbound: { customerId: string; phone: string; at: number; providerRef: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO whatsapp_inbound (customer_id, phone, last_inbound_at, provider_ref) VALUES ($1, $2, $3, $4)
     ON CONFLICT (customer_id) DO UPDATE SET
       phone = EXCLUDED.phone,
       last_inbound_at = EXCLUDED.last_inbound_at,
       provider_ref = EXCLUDED.provider_ref,
       updated_at = now()
     WHERE whatsapp_inbound.phone <> EXCLUDED.phone
        OR whatsapp_inbound.last_inbound_at < EXCLUDED.last_inbound_at`,
    [inbound.customerId, inbound.phone, new Date(inbound.at), inbound.providerRef],
  );
}

/** When the customer last wrote from `phone` on WhatsApp (ms since epoch), if ever. */
export async function lastWhatsAppInbound(
  tx: EntityManager,
  customerId: string,
  phone: string,
): Promise<number | undefined> {
  const rows: Array<{ last_inbound_at: Date }> = await tx.query(
    'SELECT last_inbound_at FROM whatsapp_inbound WHERE customer_id = $1 AND phone = $2',
    [customerId, phone],
  );
  return rows[0]?.last_inbound_at.getTime();
}
