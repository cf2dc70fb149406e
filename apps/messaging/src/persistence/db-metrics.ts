/**
 * How much SQL the service sends: `messaging_db_statements_total{kind}` counts every statement TypeORM runs on the
 * service's data source (consumers, send worker, webhooks and the outbox relay alike), `kind` being the statement's
 * first keyword (`select`, `insert`, `update`, `delete`, `with`, `begin`, `commit`, `rollback`, `other`); `begin` is
 * one explicit transaction. Counted by a TypeORM subscriber (`afterQuery`), so nothing of the statement but its first
 * keyword is read: no SQL text, no parameter reaches a label.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, register } from 'prom-client';
import type { AfterQueryEvent, DataSource, EntitySubscriberInterface } from 'typeorm';

export const DB_STATEMENTS_METRIC = 'messaging_db_statements_total';

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

function statementsCounter(): Counter<'kind'> {
  // One process may build the module more than once (tests): the counter is registered once.
  const existing = register.getSingleMetric(DB_STATEMENTS_METRIC);
  if (existing) return existing as Counter<'kind'>;
  return new Counter({
    name: DB_STATEMENTS_METRIC,
    help: 'SQL statements sent to PostgreSQL by the service, by first keyword (begin: an explicit transaction)',
    labelNames: ['kind'],
  });
}

@Injectable()
export class DbStatementMetrics implements OnModuleInit {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onModuleInit(): void {
    const counter = statementsCounter();
    const subscriber: EntitySubscriberInterface = {
      afterQuery: (event: AfterQueryEvent) => {
        counter.inc({ kind: statementKind(event.query) });
      },
    };
    this.db.subscribers.push(subscriber);
  }
}
