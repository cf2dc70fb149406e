import { randomBytes } from 'node:crypto';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { insertOutboxMessages, type OutboxMessage } from '../lib/outbox-message';
import { outboxDdl } from '../lib/outbox-schema';
import { outboxTables } from '../lib/outbox-tables';

/** A throwaway schema holding only an outbox, migrated as a service migrates its own: each test gets one. */
export interface FreshOutboxSchema {
  schema: string;
  dataSource: DataSource;
  /** Appends messages in one transaction, as a service's decision would. */
  enqueue(messages: readonly OutboxMessage[]): Promise<string[]>;
  /** Another data source on the same schema (a second process, a relay that gets killed). */
  open(options?: { poolSize?: number; applicationName?: string }): Promise<DataSource>;
  drop(): Promise<void>;
}

class OutboxTestMigration1000000000000 implements MigrationInterface {
  name = 'OutboxTestMigration1000000000000';

  async up(q: QueryRunner): Promise<void> {
    const ddl = outboxDdl(tableOf(q));
    for (const statement of [...ddl.create, ...ddl.addSetAside, ...ddl.addTraceContext])
      await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl(tableOf(q)).drop) await q.query(statement);
  }
}

/** The outbox of the schema the migration runs in, named as every statement names it. */
function tableOf(q: QueryRunner): string {
  return outboxTables(q.connection.driver.schema ?? 'public').outbox;
}

function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url)
    throw new Error(
      'DATABASE_URL is not set: run through the integration Jest project (its global setup sets it)',
    );
  return url;
}

async function openOn(
  schema: string,
  options: { poolSize?: number; applicationName?: string } = {},
): Promise<DataSource> {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl(),
    schema,
    migrations: [OutboxTestMigration1000000000000],
    poolSize: options.poolSize ?? 5,
    ...(options.applicationName ? { applicationName: options.applicationName } : {}),
  }).initialize();
}

export async function freshOutboxSchema(): Promise<FreshOutboxSchema> {
  const schema = `outbox_test_${randomBytes(5).toString('hex')}`;
  const dataSource = await openOn(schema, { poolSize: 10 });
  await dataSource.query(`CREATE SCHEMA "${schema}"`);
  await dataSource.runMigrations({ transaction: 'each' });
  const opened: DataSource[] = [dataSource];
  const table = outboxTables(schema).outbox;
  return {
    schema,
    dataSource,
    enqueue: (messages) => dataSource.transaction((m) => insertOutboxMessages(m, table, messages)),
    async open(options = {}) {
      const ds = await openOn(schema, options);
      opened.push(ds);
      return ds;
    },
    async drop() {
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const ds of opened) if (ds.isInitialized) await ds.destroy();
    },
  };
}
