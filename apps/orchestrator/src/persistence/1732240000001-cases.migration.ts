import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Durable case state: one row per case, its state guarded by the transitions that change it. */
export class Cases1732240000001 implements MigrationInterface {
  name = 'Cases1732240000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE cases (
      case_id text PRIMARY KEY,
      workflow_id text NOT NULL,
      definition_version text NOT NULL,
      state text NOT NULL,
      correlation_id text NOT NULL,
      customer_id text NOT NULL,
      source_event_id text NOT NULL,
      opened_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE cases');
  }
}
