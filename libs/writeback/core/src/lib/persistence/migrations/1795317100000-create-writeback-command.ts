import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablesOf } from './migration-tables';

/**
 * `writeback.command.v1` as received: one row per command id, so a redelivered (or re-issued) command is acted on
 * once. Insert-only evidence of what the reconciler asked and what this service did about it.
 */
export class CreateWritebackCommand1795317100000 implements MigrationInterface {
  name = 'CreateWritebackCommand1795317100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = tablesOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${t.command} (
        command_id      text        NOT NULL,
        command         text        NOT NULL,
        destination     text        NOT NULL,
        idempotency_key text        NOT NULL,
        case_id         text        NOT NULL,
        break_id        text,
        ledger_id       bigint,
        outcome         text        NOT NULL,
        detail          text        NOT NULL,
        issued_by       text        NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT command_pkey PRIMARY KEY (command_id),
        CONSTRAINT command_command_ck CHECK (command IN ('RESOLVE', 'REPLAY', 'FLAG')),
        CONSTRAINT command_outcome_ck CHECK (outcome IN ('marked_for_resolution', 'already_due', 'result_republished', 'flagged', 'not_found'))
      )`);
    await queryRunner.query(`CREATE INDEX command_key_idx ON ${t.command} (destination, idempotency_key)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${tablesOf(queryRunner).command}`);
  }
}
