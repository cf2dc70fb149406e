import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';

/**
 * The transactional outbox (`@closeout/outbox`): the audit event of each break and alert the pass opens, resolves,
 * raises or clears is written in the transaction that records it, and the service's OutboxRelay publishes it.
 */
export class ReconcilerOutbox1796200000000 implements MigrationInterface {
  name = 'ReconcilerOutbox1796200000000';

  async up(q: QueryRunner): Promise<void> {
    const ddl = outboxDdl('outbox');
    for (const statement of [...ddl.create, ...ddl.addSetAside]) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl('outbox').drop) await q.query(statement);
  }
}
