/**
 * The outbox insert as a data-modifying CTE, so a step's own change and the messages it causes (its audit event, its
 * `miniapp.action`) are one statement — one implicit transaction, one round trip, no BEGIN/COMMIT of their own. The
 * statement is `insertOutboxMessages`'s (`@closeout/outbox`), guarded: the messages are written only when the CTE
 * named by `when` produced a row (the link was opened, the submission was new, …).
 */
import { outboxRowOf, type OutboxMessage } from '@closeout/outbox';

/** `<name> AS (INSERT INTO outbox … FROM jsonb_array_elements($param) … WHERE EXISTS (SELECT 1 FROM <when>))`. */
export function outboxCte(name: string, param: number, when: string): string {
  return `${name} AS (
    INSERT INTO outbox (topic, key, value, headers, traceparent, tracestate)
    SELECT m.value ->> 'topic', m.value -> 'key', m.value -> 'value', m.value -> 'headers',
           m.value ->> 'traceparent', m.value ->> 'tracestate'
      FROM jsonb_array_elements($${param}::jsonb) WITH ORDINALITY AS m(value, n)
     WHERE EXISTS (SELECT 1 FROM ${when})
     ORDER BY m.n
    RETURNING id)`;
}

/** The parameter `outboxCte` reads. */
export const outboxParam = (messages: readonly OutboxMessage[]): string =>
  JSON.stringify(messages.map(outboxRowOf));
