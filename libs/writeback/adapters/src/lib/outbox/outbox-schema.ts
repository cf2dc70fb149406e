/**
 * DDL shared by every schema that has an outbox (the writeback services' and the orchestrator's), so their outboxes
 * keep the one shape the shared OutboxRelay reads. `outboxTable` is the table as the migration names it (quoted and
 * schema-qualified, or bare when the migration runs on the schema's search path); indexes land beside it.
 */

/**
 * A message the relay can never publish (too large for the broker, not encodable against its topic's schema) is set
 * aside with the reason instead of blocking every message behind it; it is never both published and set aside.
 */
export function addOutboxSetAside(outboxTable: string): string[] {
  return [
    `ALTER TABLE ${outboxTable}
       ADD COLUMN set_aside_at timestamptz,
       ADD COLUMN set_aside_reason text,
       ADD CONSTRAINT outbox_set_aside_ck CHECK (
         (set_aside_at IS NULL) = (set_aside_reason IS NULL) AND (set_aside_at IS NULL OR published_at IS NULL))`,
    // Set-aside messages are few and wait for an operator: the gauge and the operator's list read them by this.
    `CREATE INDEX outbox_set_aside_idx ON ${outboxTable} (id) WHERE set_aside_at IS NOT NULL`,
  ];
}

export function dropOutboxSetAside(outboxTable: string): string[] {
  return [
    `DROP INDEX ${indexBeside(outboxTable, 'outbox_set_aside_idx')}`,
    `ALTER TABLE ${outboxTable} DROP CONSTRAINT outbox_set_aside_ck, DROP COLUMN set_aside_reason, DROP COLUMN set_aside_at`,
  ];
}

/** An index's name in the table's schema: `"s".outbox` → `"s".name`, `outbox` → `name`. */
function indexBeside(table: string, index: string): string {
  const dot = table.lastIndexOf('.');
  return dot < 0 ? index : `${table.slice(0, dot)}.${index}`;
}
