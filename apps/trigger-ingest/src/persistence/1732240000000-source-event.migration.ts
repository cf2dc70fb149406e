import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Source-event dedupe: one row per (source system, upstream event id), whatever the redelivery count. */
export class SourceEvent1732240000000 implements MigrationInterface {
  name = 'SourceEvent1732240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE source_event (
      source_system text NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      case_id text NOT NULL,
      payload_ref text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source_system, event_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE source_event');
  }
}
