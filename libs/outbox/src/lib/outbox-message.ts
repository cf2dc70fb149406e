import type { KeyOf, TopicName, ValueOf } from '@closeout/contracts';
import type { EntityManager } from 'typeorm';

/**
 * What every message states besides key and value; the Kafka lib's publisher turns these into the
 * `correlation-id`, `causation-id` and `idempotency-key` wire headers (and adds `traceparent` when it sends).
 */
export interface OutboxHeaders {
  correlationId: string;
  causationId?: string;
  idempotencyKey?: string;
}

/**
 * One message for Kafka, written to the outbox in the transaction that decided it and published later by the
 * relay. Typed by topic, so a `writeback.result.v1` message can only carry a `{caseId}` key and a WritebackResult.
 * The shape is the Kafka lib's `OutgoingEvent`, so `EventPublisher.publishMany` takes a batch as it is.
 */
export type OutboxMessage = {
  [T in TopicName]: { topic: T; key: KeyOf<T>; value: ValueOf<T>; headers: OutboxHeaders };
}[TopicName];

/**
 * Appends messages to the outbox through `manager` (inside the caller's transaction), keeping their order: ids are
 * drawn in array order, and the relay publishes in id order. Returns the ids.
 */
export async function insertOutboxMessages(
  manager: EntityManager,
  outboxTable: string,
  messages: readonly OutboxMessage[],
): Promise<string[]> {
  if (messages.length === 0) return [];
  const rows: { id: string }[] = await manager.query(
    `INSERT INTO ${outboxTable} (topic, key, value, headers)
     SELECT m.value ->> 'topic', m.value -> 'key', m.value -> 'value', m.value -> 'headers'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS m(value, n)
     ORDER BY m.n
     RETURNING id`,
    [JSON.stringify(messages)],
  );
  return rows.map((r) => String(r.id));
}
