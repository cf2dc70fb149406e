import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SIEM export's own tables in schema `audit` (on the search path); the store's `record` table is only read.
 * - `sink_position`: per sink, the highest store seq delivered (HEC: acknowledged; syslog: confirmed), so each sink
 *   resumes on its own and one sink's outage never holds another back.
 * - `hec_pending_ack`: HEC batches sent and not yet counted delivered: the contiguous seq range, the channel and ackId
 *   the collector gave, when it was sent, how often. A batch whose ack has not turned true after the ack timeout,
 *   or that another channel (an earlier process) sent, is sent again.
 */
export class AuditExport1799900000000 implements MigrationInterface {
  name = 'AuditExport1799900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE sink_position (
      sink       text PRIMARY KEY CHECK (sink ~ '^[a-z][a-z0-9_-]{0,31}$'),
      last_seq   bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE hec_pending_ack (
      sink       text NOT NULL REFERENCES sink_position (sink),
      seq_from   bigint NOT NULL CHECK (seq_from >= 1),
      seq_to     bigint NOT NULL,
      channel    text NOT NULL,
      ack_id     bigint NOT NULL CHECK (ack_id >= 0),
      sent_at    timestamptz NOT NULL,
      attempts   integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
      acked_at   timestamptz,
      PRIMARY KEY (sink, seq_from),
      CHECK (seq_to >= seq_from))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE hec_pending_ack');
    await q.query('DROP TABLE sink_position');
  }
}
