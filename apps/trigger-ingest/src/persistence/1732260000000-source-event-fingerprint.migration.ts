import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The fingerprint of each source event as normalised (after masking): a repeat under the same event id is a
 * duplicate only when it matches, else a conflict that is refused. Nullable: older rows cannot say.
 */
export class SourceEventFingerprint1732260000000 implements MigrationInterface {
  name = 'SourceEventFingerprint1732260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE source_event ADD COLUMN fingerprint text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE source_event DROP COLUMN fingerprint');
  }
}
