import type { Logger as TypeOrmLogger } from 'typeorm';
import { createLogger } from '@closeout/telemetry';

const MAX_SQL = 2000;

/**
 * TypeORM's logger for every data source: a failed or slow query is logged with its SQL text only, never its
 * parameters (they carry customer facts); the error goes through the telemetry logger, which drops the values a pg
 * error quotes (`detail`, `parameters`, `where`) and masks card numbers and contact points in its message.
 */
export class ParameterFreeQueryLogger implements TypeOrmLogger {
  private readonly out = createLogger('typeorm');

  logQuery(): void {
    // Successful queries are not logged: the volume is high and parameters must never reach a log line.
  }

  logQueryError(error: string | Error, query: string): void {
    this.out.warn({ err: error, sql: query.slice(0, MAX_SQL) }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.out.warn({ ms: time, sql: query.slice(0, MAX_SQL) }, 'slow query');
  }

  logSchemaBuild(): void {
    // Schema builds are off (synchronize: false).
  }

  logMigration(message: string): void {
    this.out.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.out.warn({ detail: String(message).slice(0, MAX_SQL) }, 'typeorm');
  }
}

/** The logging options every DataSource takes: errors, warnings and migrations, through the parameter-free logger. */
export function parameterFreeLogging(): {
  logging: ('error' | 'warn' | 'migration')[];
  logger: TypeOrmLogger;
} {
  return { logging: ['error', 'warn', 'migration'], logger: new ParameterFreeQueryLogger() };
}
