import type { DataSource } from 'typeorm';
import { OutboxRelay } from './outbox-relay';
import { outboxDdl } from './outbox-schema';
import { outboxTables } from './outbox-tables';
import { OutboxError } from './outbox.errors';

describe('outboxDdl', () => {
  it('names its CHECKs outbox_<column>_ck by default, or as PostgreSQL names column constraints', () => {
    const named = outboxDdl('outbox').create.join('\n');
    const postgres = outboxDdl('outbox', { checkSuffix: 'check' }).create.join('\n');
    for (const column of ['topic', 'key', 'value', 'headers']) {
      expect(named).toContain(`CONSTRAINT outbox_${column}_ck CHECK`);
      expect(postgres).toContain(`CONSTRAINT outbox_${column}_check CHECK`);
    }
    expect(postgres).not.toMatch(/outbox_\w+_ck\b/);
  });

  it('puts the trigger function and the indexes in the table’s schema', () => {
    const ddl = outboxDdl('"writeback_rest".outbox');
    expect(ddl.create.join('\n')).toContain(
      'CREATE FUNCTION "writeback_rest".notify_outbox() RETURNS trigger',
    );
    expect(ddl.create.join('\n')).toContain('EXECUTE FUNCTION "writeback_rest".notify_outbox()');
    expect(ddl.drop).toEqual([
      'DROP TABLE "writeback_rest".outbox',
      'DROP FUNCTION "writeback_rest".notify_outbox()',
    ]);
    expect(ddl.dropSetAside[0]).toBe('DROP INDEX "writeback_rest".outbox_set_aside_idx');
    // A bare table is on the migration's search path, and so is everything beside it.
    expect(outboxDdl('outbox').drop).toEqual(['DROP TABLE outbox', 'DROP FUNCTION notify_outbox()']);
    expect(outboxDdl('outbox').dropSetAside[0]).toBe('DROP INDEX outbox_set_aside_idx');
  });
});

describe('outboxTables', () => {
  it('quotes and qualifies the table and names the channel the trigger notifies', () => {
    expect(outboxTables('ingest')).toEqual({
      schema: 'ingest',
      outbox: '"ingest".outbox',
      outboxChannel: 'ingest.outbox',
    });
  });

  it('refuses a schema name that is not a plain lower-case identifier', () => {
    for (const bad of ['Ingest', 'a"; DROP TABLE x; --', '1abc', '', 'x'.repeat(64)]) {
      expect(() => outboxTables(bad)).toThrow(OutboxError);
    }
  });
});

describe('OutboxRelay options', () => {
  const dataSource = (schema?: string) =>
    ({ options: { type: 'postgres', schema } }) as unknown as DataSource;
  const publish = async () => undefined;

  it('needs a schema, from the data source or its options', () => {
    expect(() => new OutboxRelay({ dataSource: dataSource(), publish })).toThrow(
      expect.objectContaining({ code: 'OUTBOX_INVALID_ARGUMENT' }),
    );
    expect(new OutboxRelay({ dataSource: dataSource(), schema: 'ingest', publish }).running).toBe(false);
  });

  it('refuses a batch size or interval that is not positive', () => {
    expect(() => new OutboxRelay({ dataSource: dataSource('ingest'), publish, batchSize: 0 })).toThrow(
      'OutboxRelay: batchSize must be > 0, got 0',
    );
    expect(() => new OutboxRelay({ dataSource: dataSource('ingest'), publish, pollIntervalMs: -1 })).toThrow(
      OutboxError,
    );
  });
});
