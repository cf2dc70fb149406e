import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxSetAside, dropOutboxSetAside } from '../../outbox/outbox-schema';
import { tablesOf } from './migration-tables';

/** Outbox messages the relay can never publish are set aside with their reason instead of blocking the rest. */
export class OutboxSetAside1795317500000 implements MigrationInterface {
  name = 'OutboxSetAside1795317500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of addOutboxSetAside(tablesOf(queryRunner).outbox))
      await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of dropOutboxSetAside(tablesOf(queryRunner).outbox))
      await queryRunner.query(statement);
  }
}
