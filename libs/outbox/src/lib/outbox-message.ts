import type { KeyOf, TopicName, ValueOf } from '@closeout/contracts';
import type { EntityManager } from 'typeorm';
import { messageTraceContext, traceContextOf } from '@closeout/telemetry';

/**
 * What every message states besides key and value; the Kafka lib's publisher turns these into the
 * `correlation-id`, `causation-id` and `idempotency-key` wire headers, and sends the message under a producer span
 * continuing `traceparent` / `tracestate` (the W3C trace context of the decision that wrote the message; kept in the
 * outbox's own columns, not in `headers`).
 */
export interface OutboxHeaders {
  correlationId: string;
  causationId?: string;
  idempotencyKey?: string;
  traceparent?: string;
  tracestate?: string;
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
 * A message as stored: the trace context moves out of `headers` into the row's `traceparent` / `tracestate`
 * columns. A message without one gets the context it is written in: that of the message with its correlation id in
 * the batch being handled (`runWithMessageTraces`), else the active one; none when tracing is off.
 */
export function outboxRowOf(
  message: OutboxMessage,
): OutboxMessage & { traceparent?: string; tracestate?: string } {
  const { traceparent, tracestate, ...headers } = message.headers;
  const trace = traceparent
    ? { traceparent, ...(tracestate ? { tracestate } : {}) }
    : traceContextOf(messageTraceContext(headers.correlationId));
  return { ...message, headers, ...trace } as OutboxMessage & { traceparent?: string; tracestate?: string };
}

/**
 * The message with the trace context it is decided in — the active one: a row's own span (a send's, a writeback's) —
 * written into its headers now, for a message written later from another context: a statement batched with other
 * rows' moves, run in whichever submitter's context flushes it.
 */
export function withDecisionTrace(message: OutboxMessage): OutboxMessage {
  if (message.headers.traceparent) return message;
  const trace = traceContextOf();
  return { ...message, headers: { ...message.headers, ...trace } } as OutboxMessage;
}

/**
 * The messages as the one parameter `outboxInsertSql` reads: each with the trace context it is written in
 * (`outboxRowOf`), in order.
 */
export function outboxRowsParam(messages: readonly OutboxMessage[]): string {
  return JSON.stringify(messages.map(outboxRowOf));
}

/**
 * An INSERT of the messages in parameter `$<param>` (`outboxRowsParam`) into `outboxTable`, ids drawn in array order
 * (the relay publishes in id order), without a RETURNING clause: the caller adds one, or uses it as a CTE of a
 * statement that writes the decision's other rows, so the messages commit with them in one round trip. `when`, an SQL
 * condition, writes them only if it holds (e.g. `EXISTS (SELECT 1 FROM inserted)`).
 */
export function outboxInsertSql(outboxTable: string, param: number, when?: string): string {
  return `INSERT INTO ${outboxTable} (topic, key, value, headers, traceparent, tracestate)
     SELECT m.value ->> 'topic', m.value -> 'key', m.value -> 'value', m.value -> 'headers',
            m.value ->> 'traceparent', m.value ->> 'tracestate'
     FROM jsonb_array_elements($${param}::jsonb) WITH ORDINALITY AS m(value, n)${when ? `\n     WHERE ${when}` : ''}
     ORDER BY m.n`;
}

/**
 * Appends messages to the outbox through `manager` (inside the caller's transaction), keeping their order: ids are
 * drawn in array order, and the relay publishes in id order. Each row keeps the W3C trace context of the decision
 * that wrote it (`outboxRowOf`). Returns the ids.
 */
export async function insertOutboxMessages(
  manager: EntityManager,
  outboxTable: string,
  messages: readonly OutboxMessage[],
): Promise<string[]> {
  if (messages.length === 0) return [];
  const rows: { id: string }[] = await manager.query(`${outboxInsertSql(outboxTable, 1)}\n     RETURNING id`, [
    outboxRowsParam(messages),
  ]);
  return rows.map((r) => String(r.id));
}
