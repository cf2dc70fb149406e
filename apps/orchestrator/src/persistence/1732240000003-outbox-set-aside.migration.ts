import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';

/** The orchestrator's outbox gets the shared relay's set-aside columns (one DDL for every outbox). */
export class OutboxSetAside1732240000003 implements MigrationInterface {
  name = 'OutboxSetAside1732240000003';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl('outbox').addSetAside) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl('outbox').dropSetAside) await q.query(statement);
  }
}
