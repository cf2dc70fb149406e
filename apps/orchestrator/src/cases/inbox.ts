import type { EntityManager } from 'typeorm';

/**
 * Records that `consumer` handled `eventId`, in the caller's transaction. False when it already had: the
 * redelivered event changes nothing (the transaction that handled it first committed its effects with this row).
 */
export async function firstDelivery(tx: EntityManager, consumer: string, eventId: string): Promise<boolean> {
  const rows: unknown[] = await tx.query(
    `INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, eventId],
  );
  return rows.length > 0;
}
