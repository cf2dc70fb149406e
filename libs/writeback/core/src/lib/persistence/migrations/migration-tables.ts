import type { QueryRunner } from 'typeorm';
import { LedgerError } from '../../ledger/ledger.errors';
import { writebackTables } from '../schema-name';

/** The tables of the schema a migration runs in; every writeback migration names its schema. */
export function tablesOf(queryRunner: QueryRunner) {
  const schema = queryRunner.dataSource.driver.schema;
  if (!schema) {
    throw new LedgerError(
      'LEDGER_INVALID_ARGUMENT',
      'writeback migrations need a schema: configure the data source with `schema`',
    );
  }
  return writebackTables(schema);
}
