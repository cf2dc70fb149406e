import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The case view keeps when and how each case first reached an end (COMPLETED, EXPIRED, CLOSED, or EXCEPTION: the
 * exception queue, whatever the kind — declined, ineligible, opted out, a failed writeback, …), so the straight-through
 * rate divides by every case that ended, not only the completed ones (docs/operations/slo.md). Rows from before are
 * filled from what the view knew: a completed case without an exception ended COMPLETED then; a case that saw an
 * exception ended EXCEPTION (its time unknown: the earlier of its completion and its last update).
 */
export class CaseEnds1797000000000 implements MigrationInterface {
  name = 'CaseEnds1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE case_view ADD COLUMN ended_at timestamptz, ADD COLUMN end_state text,
      ADD CONSTRAINT case_view_end_state_ck CHECK (end_state IN ('COMPLETED', 'EXPIRED', 'CLOSED', 'EXCEPTION')),
      ADD CONSTRAINT case_view_ended_ck CHECK ((ended_at IS NULL) = (end_state IS NULL))`);
    await q.query(`UPDATE case_view SET ended_at = completed_at, end_state = 'COMPLETED'
      WHERE completed_at IS NOT NULL AND NOT saw_exception`);
    await q.query(`UPDATE case_view SET ended_at = least(completed_at, updated_at), end_state = 'EXCEPTION'
      WHERE saw_exception`);
    await q.query(`CREATE INDEX case_view_ended_at_idx ON case_view (ended_at) WHERE ended_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX case_view_ended_at_idx`);
    await q.query(`ALTER TABLE case_view DROP CONSTRAINT case_view_ended_ck, DROP CONSTRAINT case_view_end_state_ck,
      DROP COLUMN end_state, DROP COLUMN ended_at`);
  }
}
