import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each send keeps the W3C trace context (`traceparent`, `tracestate`) of the outreach.requested that admitted it, so
 * that the worker's decision, the provider call and the messages it writes (outreach.event, audit) continue the case's
 * trace however long after, and in whichever process, the send is worked (docs/operations/tracing.md). Nullable
 * columns: additive, existing rows stay valid.
 */
export class SendTraceContext1797950000000 implements MigrationInterface {
  name = 'SendTraceContext1797950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE send ADD COLUMN IF NOT EXISTS traceparent text, ADD COLUMN IF NOT EXISTS tracestate text`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE send DROP COLUMN IF EXISTS traceparent, DROP COLUMN IF EXISTS tracestate`);
  }
}
