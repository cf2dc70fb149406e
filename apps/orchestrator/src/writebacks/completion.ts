import type { CaseWritebackRow } from '../cases/case-record';
import type { CaseSession } from '../cases/case-session';

/** The definition's proof of completion, read from the applied writebacks: the fields an auditor checks. */
function proofOf(session: CaseSession, rows: CaseWritebackRow[]): Record<string, unknown> {
  const proof: Record<string, unknown> = {};
  for (const p of session.definition.completion.proof) {
    const row = rows.find((r) => r.writeback_id === p.writeback);
    for (const field of p.fields) {
      const [where, ...path] = field.split('.');
      const source: unknown =
        where === 'payload'
          ? row?.payload
          : row
            ? { status: row.status, providerRef: row.provider_ref, attempts: row.attempts }
            : undefined;
      proof[`${p.writeback}.${field}`] = path.reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        source,
      );
    }
  }
  return proof;
}

/**
 * Completes the case when every required writeback is applied — never before. Exceptions opened while writebacks
 * were outstanding (a degraded destination, a reconciliation flag) are resolved by the writeback that landed.
 */
export async function completeIfAllApplied(session: CaseSession): Promise<boolean> {
  if (session.state !== 'AWAITING_WRITEBACK' && session.state !== 'EXCEPTION') return false;
  const rows = await session.writebacks();
  const required = rows.filter((r) => r.required);
  if (required.length === 0 || required.some((r) => r.status !== 'APPLIED')) return false;
  if (session.state === 'EXCEPTION') {
    const open: { kind: string }[] = await session.tx.query(
      `SELECT kind FROM exception_item WHERE case_id = $1 AND status = 'OPEN'`,
      [session.caseId],
    );
    if (open.some((e) => e.kind !== 'DESTINATION_DEGRADED')) return false;
    await session.tx.query(
      `UPDATE exception_item SET status = 'RESOLVED', resolved_at = now(), resolution = $2
       WHERE case_id = $1 AND status = 'OPEN'`,
      [
        session.caseId,
        JSON.stringify({
          resolution: 'auto',
          by: 'orchestrator',
          note: 'every required writeback was applied',
        }),
      ],
    );
  }
  const proof = proofOf(session, rows);
  session.transition(
    'COMPLETED',
    session.definition.completion.statement,
    `${session.definition.id}@v${session.definition.version}/completion`,
  );
  session.stateWritebacks(
    required.map((r) => r.idempotency_key),
    required.map((r) => r.idempotency_key),
  );
  session.cancelTimers('WRITEBACK_SLO', 'ESCALATION', 'REMINDER', 'EXPIRY');
  session.note(
    'case.proof',
    { proof },
    {
      outcome: 'SUCCESS',
      reason: `completion proven by ${Object.keys(proof).join(', ')}`,
      references: Object.fromEntries(
        required
          .map((r) => [`idempotencyKey:${r.writeback_id}`, r.idempotency_key])
          .concat(
            required
              .filter((r) => r.provider_ref)
              .map((r) => [`providerRef:${r.writeback_id}`, r.provider_ref!]),
          ),
      ),
    },
  );
  return true;
}
