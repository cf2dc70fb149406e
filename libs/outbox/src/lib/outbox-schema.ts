/**
 * The outbox's DDL, the one definition every schema with an outbox migrates with (the writeback services', the
 * orchestrator's, trigger-ingest's), so each outbox keeps the one shape OutboxRelay and OutboxSetAside read.
 *
 * Migrations are history: what these statements produce must never change, since migrations already applied
 * used them. A new shape is a new step here, run by a new migration in every schema.
 */

export interface OutboxDdlOptions {
  /**
   * What the table's CHECK constraints are called: `ck` names them `outbox_<column>_ck` (the default, and the
   * writeback services' first migration); `check` gives them PostgreSQL's own names for column constraints,
   * `outbox_<column>_check`, as the orchestrator's first migration created them.
   */
  checkSuffix?: 'ck' | 'check';
}

/** The statements a migration runs, in order; each list is one step. */
export interface OutboxDdl {
  /**
   * The table (ordered by its bigserial id), the index the relay scans for unpublished messages, and the trigger
   * that NOTIFYs `<schema>.outbox` when a transaction that wrote to it commits, so the relay wakes at once.
   */
  create: string[];
  /** Drops what `create` made (and the table's set-aside columns with it). */
  drop: string[];
  /**
   * The set-aside columns: a message the relay can never publish (too large for the broker, not encodable against
   * its topic's schema) is set aside with the reason instead of blocking every message behind it; it is never both
   * published and set aside. Run after `create`.
   */
  addSetAside: string[];
  dropSetAside: string[];
  /**
   * The trace context columns: `traceparent` / `tracestate` (W3C) of the decision that wrote the message, which the
   * relay publishes as the message's headers so the consumer continues that trace. Nullable and added without a
   * rewrite, so existing rows (and a service still writing without them) stay valid. Run after `create`.
   */
  addTraceContext: string[];
  dropTraceContext: string[];
}

/**
 * `outboxTable` is the table as the migration names it: quoted and schema-qualified (`"writeback_rest".outbox`), or
 * bare (`outbox`) when the migration runs on the schema's search path. The table is always called `outbox`; its
 * indexes and its trigger function land beside it.
 */
export function outboxDdl(outboxTable: string, options: OutboxDdlOptions = {}): OutboxDdl {
  const check = (column: string) => `outbox_${column}_${options.checkSuffix ?? 'ck'}`;
  const notify = `${beside(outboxTable, 'notify_outbox')}()`;
  return {
    create: [
      `
      CREATE TABLE ${outboxTable} (
        id           bigserial   NOT NULL,
        topic        text        NOT NULL,
        key          jsonb       NOT NULL,
        value        jsonb       NOT NULL,
        headers      jsonb       NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        CONSTRAINT outbox_pkey PRIMARY KEY (id),
        CONSTRAINT ${check('topic')} CHECK (topic <> ''),
        -- Keys are never null: a case's events must land on one partition, in order.
        CONSTRAINT ${check('key')} CHECK (jsonb_typeof(key) = 'object'),
        CONSTRAINT ${check('value')} CHECK (jsonb_typeof(value) = 'object'),
        -- Every message carries its case's correlation id (docs/architecture.md: headers).
        CONSTRAINT ${check('headers')} CHECK (jsonb_typeof(headers) = 'object' AND coalesce(headers ->> 'correlationId', '') <> '')
      )`,
      `CREATE INDEX outbox_unpublished_idx ON ${outboxTable} (id) WHERE published_at IS NULL`,
      // NOTIFY is delivered on commit only: messages go out in milliseconds without polling hard. The function body
      // is stored as written, so its text stays exactly this.
      `
      CREATE FUNCTION ${notify} RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '.outbox', '');
        RETURN NULL;
      END $$`,
      `
      CREATE TRIGGER outbox_notify AFTER INSERT ON ${outboxTable}
      FOR EACH STATEMENT EXECUTE FUNCTION ${notify}`,
    ],
    drop: [`DROP TABLE ${outboxTable}`, `DROP FUNCTION ${notify}`],
    addSetAside: [
      `ALTER TABLE ${outboxTable}
       ADD COLUMN set_aside_at timestamptz,
       ADD COLUMN set_aside_reason text,
       ADD CONSTRAINT outbox_set_aside_ck CHECK (
         (set_aside_at IS NULL) = (set_aside_reason IS NULL) AND (set_aside_at IS NULL OR published_at IS NULL))`,
      // Set-aside messages are few and wait for an operator: the gauge and the operator's list read them by this.
      `CREATE INDEX outbox_set_aside_idx ON ${outboxTable} (id) WHERE set_aside_at IS NOT NULL`,
    ],
    dropSetAside: [
      `DROP INDEX ${beside(outboxTable, 'outbox_set_aside_idx')}`,
      `ALTER TABLE ${outboxTable} DROP CONSTRAINT outbox_set_aside_ck, DROP COLUMN set_aside_reason, DROP COLUMN set_aside_at`,
    ],
    addTraceContext: [
      `ALTER TABLE ${outboxTable} ADD COLUMN IF NOT EXISTS traceparent text, ADD COLUMN IF NOT EXISTS tracestate text`,
    ],
    dropTraceContext: [
      `ALTER TABLE ${outboxTable} DROP COLUMN IF EXISTS tracestate, DROP COLUMN IF EXISTS traceparent`,
    ],
  };
}

/** A name in the table's schema: `"s".outbox` → `"s".name`, `outbox` → `name`. */
function beside(table: string, name: string): string {
  const dot = table.lastIndexOf('.');
  return dot < 0 ? name : `${table.slice(0, dot)}.${name}`;
}
