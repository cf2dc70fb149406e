import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxSetAside, dropOutboxSetAside } from '@closeout/writeback-adapters';

/** The orchestrator's outbox gets the shared relay's set-aside columns (one DDL for every outbox). */
export class OutboxSetAside1732240000003 implements MigrationInterface {
  name = 'OutboxSetAside1732240000003';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of addOutboxSetAside('outbox')) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of dropOutboxSetAside('outbox')) await q.query(statement);
  }
}
