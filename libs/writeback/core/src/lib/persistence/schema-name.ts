import { LedgerError } from '../ledger/ledger.errors';

/**
 * Schema names end up spliced into SQL as identifiers (a schema cannot be a bind parameter), so only plain
 * lower-case identifiers are accepted: `writeback_rest`, `wb_test_1a2b`. Anything else is refused before it reaches
 * a query.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new LedgerError(
      'LEDGER_INVALID_SCHEMA_NAME',
      `schema "${schema}" must match ${SCHEMA_NAME.source} (lower-case letters, digits, underscores; at most 63)`,
    );
  }
  return schema;
}

/** Schema-qualified, quoted table names: every statement names its schema, whatever the connection's search_path. */
export interface WritebackTables {
  schema: string;
  ledger: string;
  attempt: string;
  conflict: string;
  outbox: string;
  /** writeback.command.v1 as received, one row per command id. */
  command: string;
  /** The LISTEN/NOTIFY channel the outbox trigger signals on commit. */
  outboxChannel: string;
}

export function writebackTables(schema: string): WritebackTables {
  const s = `"${assertSchemaName(schema)}"`;
  return {
    schema,
    ledger: `${s}.ledger`,
    attempt: `${s}.ledger_attempt`,
    conflict: `${s}.ledger_conflict`,
    outbox: `${s}.outbox`,
    command: `${s}.command`,
    outboxChannel: `${schema}.outbox`,
  };
}
