import { DataSource, MigrationExecutor, type Migration } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { writebackEntities } from './entities';
import { writebackMigrations } from './migrations';
import { assertSchemaName } from './schema-name';
import { parameterFreeLogging } from '@closeout/platform';

export interface WritebackDataSourceConfig {
  /** postgres://user@host:port/database */
  url: string;
  /** The service's own schema: `writeback_rest`, `writeback_soap` or `writeback_sftp`. */
  schema: string;
  /** Connections in the pool (default 10). Workers, the relay's listener and the admit path share it. */
  poolSize?: number;
  /** Shows up in pg_stat_activity, so a DBA can tell whose connection is whose. */
  applicationName?: string;
  /** Run pending migrations once connected (tests, benchmarks, the migrate target). Default false. */
  runMigrations?: boolean;
}

/**
 * TypeORM options for a writeback schema, shared by the app (`TypeOrmModule.forRootAsync`) and the migration
 * target. The schema goes to TypeORM (entities and the `migrations` table live in it) and onto the connection's
 * search_path (so a hand-written unqualified query finds the service's tables, not `public`'s).
 */
export function writebackDataSourceOptions(config: WritebackDataSourceConfig): PostgresDataSourceOptions {
  const schema = assertSchemaName(config.schema);
  return {
    type: 'postgres',
    url: config.url,
    schema,
    entities: writebackEntities,
    migrations: writebackMigrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // Failed queries are logged with their SQL text, never their parameters.
    ...parameterFreeLogging(),
    poolSize: config.poolSize ?? 10,
    ...(config.applicationName ? { applicationName: config.applicationName } : {}),
    extra: { options: `-c search_path=${schema}` },
  };
}

/**
 * Opens a data source on `schema`, creating the schema when it is absent, and runs pending migrations when asked.
 * The caller owns the returned data source and destroys it at shutdown.
 */
export async function createWritebackDataSource(config: WritebackDataSourceConfig): Promise<DataSource> {
  const dataSource = new DataSource(writebackDataSourceOptions(config));
  await dataSource.initialize();
  try {
    await ensureSchema(dataSource, config.schema);
    if (config.runMigrations) await runWritebackMigrations(dataSource);
    return dataSource;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

async function ensureSchema(dataSource: DataSource, schema: string): Promise<void> {
  try {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${assertSchemaName(schema)}"`);
  } catch (error) {
    // Two pods starting together can both pass IF NOT EXISTS; the loser's unique violation means "it exists now".
    if ((error as { code?: string }).code !== '23505') throw error;
  }
}

/**
 * Runs pending migrations under a PostgreSQL advisory lock held for the schema, because TypeORM does not lock:
 * two pods deploying at once would otherwise both try to create the same tables. The lock and the migrations
 * share one connection, so this works with a pool of one.
 */
export async function runWritebackMigrations(dataSource: DataSource): Promise<Migration[]> {
  const schema = assertSchemaName(String((dataSource.options as PostgresDataSourceOptions).schema));
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`${schema}.migrations`]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      return await executor.executePendingMigrations();
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`${schema}.migrations`]);
    }
  } finally {
    await runner.release();
  }
}
