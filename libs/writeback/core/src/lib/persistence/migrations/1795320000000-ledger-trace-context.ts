import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablesOf } from './migration-tables';

/**
 * Each ledger row keeps the W3C trace context (`traceparent`, `tracestate`) of the `writeback.requested` message that
 * admitted it, so the worker that claims it later (another batch, another process, after a restart) continues the
 * case's trace around the claim, the core call and the transition (docs/operations/tracing.md). Nullable columns:
 * additive, existing rows stay valid and are worked without a parent trace.
 */
export class LedgerTraceContext1795320000000 implements MigrationInterface {
  name = 'LedgerTraceContext1795320000000';

  async up(q: QueryRunner): Promise<void> {
    const { ledger } = tablesOf(q);
    await q.query(
      `ALTER TABLE ${ledger} ADD COLUMN IF NOT EXISTS traceparent text, ADD COLUMN IF NOT EXISTS tracestate text`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const { ledger } = tablesOf(q);
    await q.query(
      `ALTER TABLE ${ledger} DROP COLUMN IF EXISTS traceparent, DROP COLUMN IF EXISTS tracestate`,
    );
  }
}
