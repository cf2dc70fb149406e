import { OutboxError } from './outbox.errors';

/**
 * Schema names end up spliced into SQL as identifiers (a schema cannot be a bind parameter), so only plain
 * lower-case identifiers are accepted: `writeback_rest`, `orchestrator`, `ingest`. Anything else is refused before
 * it reaches a query.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertOutboxSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new OutboxError(
      'OUTBOX_INVALID_SCHEMA_NAME',
      `schema "${schema}" must match ${SCHEMA_NAME.source} (lower-case letters, digits, underscores; at most 63)`,
    );
  }
  return schema;
}

/** A schema's outbox as every statement names it: schema-qualified and quoted, whatever the search_path. */
export interface OutboxTables {
  schema: string;
  outbox: string;
  /** The LISTEN/NOTIFY channel the outbox trigger signals on commit. */
  outboxChannel: string;
}

export function outboxTables(schema: string): OutboxTables {
  return {
    schema,
    outbox: `"${assertOutboxSchemaName(schema)}".outbox`,
    outboxChannel: `${schema}.outbox`,
  };
}
