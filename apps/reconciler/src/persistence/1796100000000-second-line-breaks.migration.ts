import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Three more break kinds (a false failure, a shared provider reference, a record posted twice) and the POSTED_TWICE
 * alert. A break's second command is no longer always a REPLAY (a false failure is escalated with a FLAG), so the
 * replay columns become follow-up columns that also say which command was sent. Value lists are spelled out, as in
 * the first migration.
 */
export class SecondLineBreaks1796100000000 implements MigrationInterface {
  name = 'SecondLineBreaks1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE break DROP CONSTRAINT break_kind_ck`);
    await q.query(`
      ALTER TABLE break ADD CONSTRAINT break_kind_ck CHECK (kind IN ('REQUESTED_NO_RESULT', 'UNKNOWN_PAST_TTL',
        'APPLIED_MISSING_IN_CORE', 'IN_CORE_NOT_REQUESTED', 'COMPLETED_WITHOUT_WRITEBACKS', 'FAILED_BUT_POSTED',
        'SHARED_PROVIDER_REF', 'POSTED_TWICE'))`);
    await q.query(`ALTER TABLE break RENAME COLUMN replay_command_id TO follow_up_command_id`);
    await q.query(`ALTER TABLE break RENAME COLUMN replay_sent_at TO follow_up_sent_at`);
    await q.query(`ALTER TABLE break ADD COLUMN follow_up_command text`);
    // Every follow-up sent before this migration was a REPLAY.
    await q.query(`UPDATE break SET follow_up_command = 'REPLAY' WHERE follow_up_command_id IS NOT NULL`);
    await q.query(`
      ALTER TABLE break ADD CONSTRAINT break_follow_up_ck CHECK (
        (follow_up_command IS NULL) = (follow_up_command_id IS NULL)
        AND (follow_up_command IS NULL OR follow_up_command IN ('REPLAY', 'FLAG')))`);
    await q.query(`ALTER TABLE alert DROP CONSTRAINT alert_kind_ck`);
    await q.query(`ALTER TABLE alert ADD CONSTRAINT alert_kind_ck CHECK (kind IN ('SLO_BREACH', 'UNKNOWN_AGE', 'POSTED_TWICE'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM alert WHERE kind = 'POSTED_TWICE'`);
    await q.query(`ALTER TABLE alert DROP CONSTRAINT alert_kind_ck`);
    await q.query(`ALTER TABLE alert ADD CONSTRAINT alert_kind_ck CHECK (kind IN ('SLO_BREACH', 'UNKNOWN_AGE'))`);
    await q.query(`DELETE FROM break WHERE kind IN ('FAILED_BUT_POSTED', 'SHARED_PROVIDER_REF', 'POSTED_TWICE')`);
    await q.query(`ALTER TABLE break DROP CONSTRAINT break_follow_up_ck`);
    await q.query(`ALTER TABLE break DROP COLUMN follow_up_command`);
    await q.query(`ALTER TABLE break RENAME COLUMN follow_up_sent_at TO replay_sent_at`);
    await q.query(`ALTER TABLE break RENAME COLUMN follow_up_command_id TO replay_command_id`);
    await q.query(`ALTER TABLE break DROP CONSTRAINT break_kind_ck`);
    await q.query(`
      ALTER TABLE break ADD CONSTRAINT break_kind_ck CHECK (kind IN ('REQUESTED_NO_RESULT', 'UNKNOWN_PAST_TTL',
        'APPLIED_MISSING_IN_CORE', 'IN_CORE_NOT_REQUESTED', 'COMPLETED_WITHOUT_WRITEBACKS'))`);
  }
}
