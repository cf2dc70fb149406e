import type { FactoryProvider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { register } from 'prom-client';
import { dbStatementMetrics, statementKind } from './statement-metrics';

describe('statementKind', () => {
  it('names a statement by its first keyword only', () => {
    expect(statementKind('START TRANSACTION')).toBe('begin');
    expect(statementKind('  WITH used AS (UPDATE link …')).toBe('with');
    expect(statementKind('select 1')).toBe('select');
    expect(statementKind('COMMIT')).toBe('commit');
    expect(statementKind('LISTEN "outbox"')).toBe('other');
    expect(statementKind('')).toBe('other');
  });
});

describe('dbStatementMetrics', () => {
  it("counts each statement the module's data source runs, by kind, under the service's metric", async () => {
    const subscribers: Array<{ afterQuery?: (e: { query: string }) => void }> = [];
    const provider = dbStatementMetrics('spec_db_statements_total') as FactoryProvider;
    expect(provider.inject).toEqual([getDataSourceToken()]);
    provider.useFactory({ subscribers });
    for (const sql of ['SELECT 1', 'WITH x AS (SELECT 1) SELECT * FROM x', 'select 2', 'START TRANSACTION'])
      subscribers[0]!.afterQuery!({ query: sql });
    const metric = await register.getSingleMetric('spec_db_statements_total')!.get();
    const byKind = Object.fromEntries(metric.values.map((v) => [v.labels['kind'], v.value]));
    expect(byKind).toEqual({ select: 2, with: 1, begin: 1 });
  });
});
