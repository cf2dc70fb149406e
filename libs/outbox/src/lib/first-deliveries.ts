import type { EntityManager } from 'typeorm';

/**
 * The inbox side of the outbox: records that `consumer` handled these events, in the caller's transaction, in one
 * statement, and answers the ids it had not handled yet (a redelivery, which then changes nothing, is not among them).
 * The service's schema holds `processed_event (consumer, event_id)` with that pair unique.
 */
export async function firstDeliveries(
  tx: EntityManager,
  consumer: string,
  eventIds: readonly string[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows: Array<{ event_id: string }> = await tx.query(
    `INSERT INTO processed_event (consumer, event_id) SELECT $1, unnest($2::text[])
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, eventIds],
  );
  return new Set(rows.map((r) => r.event_id));
}
