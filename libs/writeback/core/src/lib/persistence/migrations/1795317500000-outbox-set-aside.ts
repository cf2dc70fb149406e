import type { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxDdl } from '@closeout/outbox';
import { tablesOf } from './migration-tables';

/** Outbox messages the relay can never publish are set aside with their reason instead of blocking the rest. */
export class OutboxSetAside1795317500000 implements MigrationInterface {
  name = 'OutboxSetAside1795317500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of outboxDdl(tablesOf(queryRunner).outbox).addSetAside)
      await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of outboxDdl(tablesOf(queryRunner).outbox).dropSetAside)
      await queryRunner.query(statement);
  }
}
