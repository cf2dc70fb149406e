import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { prepareStatements } from './prepared-statements';

/** Real PostgreSQL (the integration project's DATABASE_URL): what each connection has prepared, read on it. */
describe('prepareStatements (real PostgreSQL)', () => {
  const schema = `prep_${randomBytes(4).toString('hex')}`;
  let dataSource: DataSource;

  const open = async (poolSize: number, maxPerConnection?: number): Promise<DataSource> => {
    const ds = await new DataSource({
      type: 'postgres',
      url: process.env['DATABASE_URL'],
      schema,
      poolSize,
      extra: { options: `-c search_path=${schema}` },
    }).initialize();
    prepareStatements(ds, maxPerConnection === undefined ? {} : { maxPerConnection });
    return ds;
  };

  /** Runs `use` on one connection of the pool and returns the names and texts prepared on it. */
  const onOneConnection = async (
    ds: DataSource,
    use: (q: (sql: string, params?: unknown[]) => Promise<unknown>) => Promise<void>,
  ): Promise<{ name: string; statement: string }[]> => {
    const runner = ds.createQueryRunner();
    try {
      await runner.connect();
      await use((sql, params) => runner.query(sql, params));
      return (await runner.query(
        `SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time, name`,
      )) as { name: string; statement: string }[];
    } finally {
      await runner.release();
    }
  };

  beforeAll(async () => {
    dataSource = await open(1);
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    await dataSource.query(`CREATE TABLE "${schema}".item (id int PRIMARY KEY, label text NOT NULL)`);
    await dataSource.query(`INSERT INTO "${schema}".item VALUES (1, 'one'), (2, 'two')`);
  });

  afterAll(async () => {
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await dataSource.destroy();
  });

  it('prepares a parameterised statement once per connection and answers each call with its own parameters', async () => {
    const answers: unknown[] = [];
    const prepared = await onOneConnection(dataSource, async (q) => {
      for (const id of [1, 2, 1]) answers.push(await q('SELECT label FROM item WHERE id = $1', [id]));
      answers.push(await q('SELECT count(*)::int AS n FROM item'));
    });
    expect(answers).toEqual([[{ label: 'one' }], [{ label: 'two' }], [{ label: 'one' }], [{ n: 2 }]]);
    // Once, for the statement with parameters; the parameterless one (which may hold several commands) is not.
    expect(prepared.filter((p) => p.statement === 'SELECT label FROM item WHERE id = $1')).toHaveLength(1);
    expect(prepared.some((p) => p.statement.includes('count(*)'))).toBe(false);
  });

  it('prepares at most maxPerConnection texts on a connection; later ones still run, unnamed', async () => {
    const capped = await open(1, 2);
    try {
      const answers: unknown[] = [];
      const prepared = await onOneConnection(capped, async (q) => {
        for (const column of ['id', 'label', 'id AS again'])
          answers.push(await q(`SELECT ${column} FROM item WHERE id = $1`, [2]));
      });
      expect(answers).toEqual([[{ id: 2 }], [{ label: 'two' }], [{ again: 2 }]]);
      expect(prepared.map((p) => p.statement).filter((s) => s.includes('FROM item'))).toHaveLength(2);
    } finally {
      await capped.destroy();
    }
  });

  it('after a table changes shape under a prepared SELECT *, fails that call once and prepares it again', async () => {
    const other = await open(1);
    try {
      const read = () => other.query('SELECT * FROM item WHERE id = $1', [1]);
      expect(await read()).toEqual([{ id: 1, label: 'one' }]);
      // Another replica's additive migration.
      await dataSource.query(`ALTER TABLE "${schema}".item ADD COLUMN note text`);
      await expect(read()).rejects.toMatchObject({ driverError: { code: '0A000' } });
      expect(await read()).toEqual([{ id: 1, label: 'one', note: null }]);
    } finally {
      await other.destroy();
    }
  });

  it('refuses a data source without a node-postgres pool', () => {
    const notOpened = new DataSource({ type: 'postgres', url: process.env['DATABASE_URL'] });
    expect(() => prepareStatements(notOpened)).toThrow(/no node-postgres pool/);
  });
});
