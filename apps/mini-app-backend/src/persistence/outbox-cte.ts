/**
 * The outbox insert as a data-modifying CTE, so a step's own change and the messages it causes (its audit event, its
 * `miniapp.action`) are one statement — one implicit transaction, one round trip, no BEGIN/COMMIT of their own. The
 * statement is `@closeout/outbox`'s `outboxInsertSql`, guarded: the messages are written only when the CTE named by
 * `when` produced a row (the link was opened, the submission was new, …).
 */
import { outboxInsertSql } from '@closeout/outbox';

/**
 * `<name> AS (INSERT INTO outbox … FROM jsonb_array_elements($param) … WHERE EXISTS (SELECT 1 FROM <when>))`; the
 * parameter is `outboxRowsParam(messages)` (`@closeout/outbox`).
 */
export function outboxCte(name: string, param: number, when: string): string {
  return `${name} AS (${outboxInsertSql('outbox', param, `EXISTS (SELECT 1 FROM ${when})`)}
    RETURNING id)`;
}
