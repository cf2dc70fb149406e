import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A link and the session opened from it keep the W3C trace context (`traceparent`, `tracestate`) of the message that
 * carried the link (messaging's outreach.event), so that the customer's requests, which start traces of their own,
 * do the case's work in the case's trace (docs/operations/tracing.md). Nullable columns: additive, existing rows stay
 * valid (their requests keep the request's own trace).
 */
export class LinkTraceContext1798000000000 implements MigrationInterface {
  name = 'LinkTraceContext1798000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['link', 'session'])
      await q.query(
        `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS traceparent text, ADD COLUMN IF NOT EXISTS tracestate text`,
      );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['session', 'link'])
      await q.query(
        `ALTER TABLE ${table} DROP COLUMN IF EXISTS traceparent, DROP COLUMN IF EXISTS tracestate`,
      );
  }
}
