/**
 * How much SQL a service sends: `<metric>{kind}` counts every statement TypeORM runs on the service's data source
 * (consumers, workers, HTTP handlers and the outbox relay alike), `kind` being the statement's first keyword
 * (`select`, `insert`, `update`, `delete`, `with`, `begin`, `commit`, `rollback`, `other`); `begin` is one explicit
 * transaction. Counted by a TypeORM subscriber (`afterQuery`), so nothing of the statement but its first keyword is
 * read: no SQL text, no parameter reaches a label. The benchmarks read it before and after a run for statements per
 * unit of work.
 */
import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Counter, register } from 'prom-client';
import type { AfterQueryEvent, DataSource, EntitySubscriberInterface } from 'typeorm';

const KINDS = new Map<string, string>([
  ['select', 'select'],
  ['insert', 'insert'],
  ['update', 'update'],
  ['delete', 'delete'],
  ['with', 'with'],
  ['begin', 'begin'],
  ['start', 'begin'],
  ['commit', 'commit'],
  ['rollback', 'rollback'],
]);

/** The statement's kind from its first keyword, from a bounded prefix of the text. */
export function statementKind(sql: string): string {
  const word = /^\s*([A-Za-z]{1,16})/.exec(sql.slice(0, 64))?.[1]?.toLowerCase();
  return (word && KINDS.get(word)) ?? 'other';
}

function statementsCounter(metric: string): Counter<'kind'> {
  // One process may build the module more than once (tests): the counter is registered once.
  const existing = register.getSingleMetric(metric);
  if (existing) return existing as Counter<'kind'>;
  return new Counter({
    name: metric,
    help: 'SQL statements sent to PostgreSQL by the service, by first keyword (begin: an explicit transaction)',
    labelNames: ['kind'],
  });
}

/** A provider that counts the statements of the module's data source under `metric` (e.g. `miniapp_db_statements_total`). */
export function dbStatementMetrics(metric: string): Provider {
  return {
    provide: `db-statement-metrics:${metric}`,
    inject: [getDataSourceToken()],
    useFactory: (db: DataSource): Counter<'kind'> => {
      const counter = statementsCounter(metric);
      const subscriber: EntitySubscriberInterface = {
        afterQuery: (event: AfterQueryEvent) => {
          counter.inc({ kind: statementKind(event.query) });
        },
      };
      db.subscribers.push(subscriber);
      return counter;
    },
  };
}
