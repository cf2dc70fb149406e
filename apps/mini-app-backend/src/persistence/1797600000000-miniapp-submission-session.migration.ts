import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The actions page asks, with the session's read, whether the session has already acted
 * (`action_submission` by `session_ref`): an index, so that the question stays a lookup as the table grows.
 */
export class MiniappSubmissionSession1797600000000 implements MigrationInterface {
  name = 'MiniappSubmissionSession1797600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX action_submission_session_ix ON action_submission (session_ref)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX action_submission_session_ix`);
  }
}
