import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What became of each outreach attempt of a case (requested, sent, delivered, failed, suppressed, and when) and the
 * cadence round it belongs to: messaging's receipts drive the reminders from it. Cases opened before it have `{}`,
 * which the engine reads as "no receipts recorded" (see the README's outreach cadence).
 */
export class OutreachProgress1732240000004 implements MigrationInterface {
  name = 'OutreachProgress1732240000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases ADD COLUMN outreach_progress jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases DROP COLUMN outreach_progress`);
  }
}
