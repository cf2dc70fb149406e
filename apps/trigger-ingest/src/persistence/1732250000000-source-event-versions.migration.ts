import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which event version, mapping version and channel produced each source event: evidence for the case's origin. */
export class SourceEventVersions1732250000000 implements MigrationInterface {
  name = 'SourceEventVersions1732250000000';

  async up(q: QueryRunner): Promise<void> {
    // Nullable: rows from before versioning cannot say.
    await q.query(`ALTER TABLE source_event
      ADD COLUMN event_version integer,
      ADD COLUMN mapping_version text,
      ADD COLUMN channel text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE source_event DROP COLUMN event_version, DROP COLUMN mapping_version, DROP COLUMN channel',
    );
  }
}
