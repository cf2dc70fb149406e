import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';

/**
 * The transactional outbox (`@closeout/outbox`): case.triggered.v1 and the audit event of each decision are written in
 * the transaction that records the source event, and the service's OutboxRelay publishes them.
 */
export class IngestOutbox1732270000000 implements MigrationInterface {
  name = 'IngestOutbox1732270000000';

  async up(q: QueryRunner): Promise<void> {
    const ddl = outboxDdl('outbox');
    for (const statement of [...ddl.create, ...ddl.addSetAside]) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of outboxDdl('outbox').drop) await q.query(statement);
  }
}
