import { Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { ReadinessRegistry } from '../health/readiness.registry';
import { prepareStatements } from './prepared-statements';
import { parameterFreeLogging } from './query-logger';

export { ParameterFreeQueryLogger, parameterFreeLogging } from './query-logger';

export interface DatabaseOptions {
  url: string;
  /** The service's own PostgreSQL schema; no service reads another's. */
  schema: string;
  // TypeORM's own option types: entity classes and migration classes of any shape.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  /** Parameterised statements prepared once per connection (default true; see prepared-statements.ts). */
  preparedStatements?: boolean;
}

/** DataSource options shared by the app and the migration CLI: synchronize off, the schema on the search path. */
export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // Failed queries are logged with their SQL text, never their parameters.
    ...parameterFreeLogging(),
    extra: { max: options.poolSize ?? 10, options: `-c search_path=${options.schema}` },
  };
}

/** Creates the service's schema if needed and runs its pending migrations. */
export async function migrate(options: DatabaseOptions): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(options));
  await ds.initialize();
  // Replicas boot at once: a session-level advisory lock per schema lets one migrate while the others wait, then
  // find nothing pending. Held on its own connection; TypeORM migrates on another from the pool.
  const lock = ds.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`closeout-migrations:${options.schema}`]);
    await ds.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await lock
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`closeout-migrations:${options.schema}`])
      .catch(() => undefined);
    await lock.release();
    await ds.destroy();
  }
}

const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

@Injectable()
class DatabaseReadiness implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readiness: ReadinessRegistry,
    @Inject(DATABASE_OPTIONS) private readonly options: DatabaseOptions,
  ) {}

  onModuleInit(): void {
    this.readiness.register({
      name: 'postgres',
      check: async () => {
        await this.dataSource.query('SELECT 1');
        return { ok: true, detail: `schema ${this.options.schema}` };
      },
    });
  }
}

@Module({})
export class DatabaseModule {
  /** Migrations run before the data source opens, so a service never starts on an old schema. */
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await migrate(options);
            return dataSourceOptions(options);
          },
          // Migrated above, on a data source of its own: this one never sees its tables change shape under it.
          dataSourceFactory: async (dsOptions) => {
            if (!dsOptions) throw new Error('DatabaseModule: no data source options');
            const dataSource = await new DataSource(dsOptions).initialize();
            if (options.preparedStatements ?? true) prepareStatements(dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [{ provide: DATABASE_OPTIONS, useValue: options }, DatabaseReadiness],
      exports: [TypeOrmModule],
    };
  }
}
