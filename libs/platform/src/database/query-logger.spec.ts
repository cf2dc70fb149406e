import { parameterFreeLogging } from './query-logger';
import { dataSourceOptions } from './database.module';

describe('TypeORM never logs query parameters', () => {
  it('every platform DataSource uses the parameter-free logger for errors only', () => {
    const options = dataSourceOptions({
      url: 'postgres://x@h/db',
      schema: 's',
      entities: [],
      migrations: [],
    });
    expect(options.logging).toEqual(['error', 'warn', 'migration']);
    expect(options.logger).toBeDefined();
    expect(typeof options.logger).toBe('object');
  });

  it('logs a failed query with its SQL but not its parameters', () => {
    const { logger } = parameterFreeLogging();
    const lines: unknown[][] = [];
    const spy = { warn: (...a: unknown[]) => lines.push(a), info: () => undefined };
    (logger as unknown as { out: unknown }).out = spy;
    logger.logQueryError(new Error('boom'), 'INSERT INTO t (note) VALUES ($1)', ['4111 1111 1111 1111']);
    expect(JSON.stringify(lines)).toContain('INSERT INTO t (note) VALUES ($1)');
    expect(JSON.stringify(lines)).not.toContain('4111');
  });
});
