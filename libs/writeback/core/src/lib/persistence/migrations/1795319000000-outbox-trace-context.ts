import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';
import { tablesOf } from './migration-tables';
/**
 * The outbox keeps the W3C trace context (`traceparent`, `tracestate`) of the decision that wrote each message, which
 * the relay publishes with it (docs/operations/tracing.md). Nullable columns: additive, existing rows stay valid.
 */
export class OutboxTraceContext1795319000000 implements MigrationInterface {
  name = 'OutboxTraceContext1795319000000';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl(tablesOf(q).outbox).addTraceContext) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl(tablesOf(q).outbox).dropTraceContext) await q.query(statement);
  }
}
