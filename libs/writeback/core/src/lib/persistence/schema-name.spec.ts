import { assertSchemaName, writebackTables } from './schema-name';

describe('schema names', () => {
  it.each(['writeback_rest', 'writeback_sftp', 'wb_test_0a1b2c3d4e', '_private'])('accepts %s', (name) => {
    expect(assertSchemaName(name)).toBe(name);
  });

  it.each([
    ['an empty name', ''],
    ['upper case', 'Writeback'],
    ['a quote that would end the identifier', 'x"; DROP SCHEMA public; --'],
    ['a dot', 'writeback.rest'],
    ['a leading digit', '1writeback'],
    ['more than 63 characters', 'w'.repeat(64)],
  ])('refuses %s, naming the rule', (_, name) => {
    expect(() => assertSchemaName(name)).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_SCHEMA_NAME' }),
    );
  });

  it('qualifies every table and names the outbox channel after the schema', () => {
    expect(writebackTables('writeback_soap')).toEqual({
      schema: 'writeback_soap',
      ledger: '"writeback_soap".ledger',
      attempt: '"writeback_soap".ledger_attempt',
      conflict: '"writeback_soap".ledger_conflict',
      outbox: '"writeback_soap".outbox',
      command: '"writeback_soap".command',
      outboxChannel: 'writeback_soap.outbox',
    });
  });
});
