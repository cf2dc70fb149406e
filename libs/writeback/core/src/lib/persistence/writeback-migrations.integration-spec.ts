import { freshWritebackSchema, type FreshWritebackSchema } from '../../test-support/fresh-writeback-schema';
import { runWritebackMigrations } from './writeback-data-source';
import { writebackMigrations } from './migrations';

describe('writeback migrations (real PostgreSQL)', () => {
  let db: FreshWritebackSchema;

  beforeEach(async () => {
    db = await freshWritebackSchema();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('create every table, and the migrations table, in the configured schema only', async () => {
    const tables: { table_schema: string; table_name: string }[] = await db.dataSource.query(
      `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [db.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'command',
      'ledger',
      'ledger_attempt',
      'ledger_conflict',
      'migrations',
      'outbox',
    ]);

    const applied: { name: string }[] = await db.dataSource.query(
      `SELECT name FROM "${db.schema}".migrations`,
    );
    expect(applied.map((m) => m.name)).toEqual([
      'CreateWritebackLedger1795317000000',
      'CreateWritebackCommand1795317100000',
      'IndexLedgerProviderRef1795317400000',
      'OutboxSetAside1795317500000',
      'OutboxTraceContext1795319000000',
      'LedgerTraceContext1795320000000',
    ]);
  });

  it('are idempotent: a second run applies nothing', async () => {
    expect(await runWritebackMigrations(db.dataSource)).toEqual([]);
  });

  it('agree with the entities: TypeORM would change nothing if asked to synchronize', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('refuse a status outside the status set', async () => {
    await expect(
      db.dataSource.query(
        `INSERT INTO "${db.schema}".ledger (destination, idempotency_key, fingerprint, operation, protocol, case_id,
           workflow_id, correlation_id, request, contract_version, mapping_version, status)
         VALUES ('d', 'k', 'f', 'payment.post', 'REST', 'c', 'w', 'corr', '{}', '1', '1', 'DONE')`,
      ),
    ).rejects.toThrow(/ledger_status_ck/);
  });

  it('run once when two pods deploy onto an empty schema at the same time', async () => {
    const empty = await freshWritebackSchema({ migrate: false });
    try {
      const otherPod = await empty.open({ poolSize: 1 }); // lock and migrations share its one connection
      const runs = await Promise.all([
        runWritebackMigrations(empty.dataSource),
        runWritebackMigrations(otherPod),
      ]);
      expect(runs.map((ran) => ran.length).sort()).toEqual([0, writebackMigrations.length]);
    } finally {
      await empty.drop();
    }
  });

  it('revert cleanly, leaving only the migrations table', async () => {
    for (let i = 0; i < writebackMigrations.length; i += 1) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    }
    const tables: { table_name: string }[] = await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
      [db.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual(['migrations']);
  });
});
