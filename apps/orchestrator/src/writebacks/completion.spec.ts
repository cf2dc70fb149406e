import { Topics } from '@closeout/contracts';
import { CaseSession } from '../cases/case-session';
import { caseRecord, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { completeIfAllApplied } from './completion';

const definition = seedDefinition('kyc-refresh');
const cause = { id: 'wbr-1', actor: { type: 'SERVICE' as const, id: 'orchestrator' } };
const row = (writebackId: string, status: string, over: Record<string, unknown> = {}) => ({
  writeback_id: writebackId,
  idempotency_key: `key-${writebackId}`,
  required: true,
  status,
  provider_ref: status === 'APPLIED' ? `ref-${writebackId}` : null,
  attempts: 1,
  payload: { customerId: 'cus-1', documentType: 'passport', sha256: 'f'.repeat(64), flag: 'KYC_REFRESH' },
  ...over,
});

async function complete(state: 'AWAITING_WRITEBACK' | 'EXCEPTION', rows: unknown[], open: unknown[] = []) {
  const tx = new ScriptedTx([
    ['FROM case_writeback', rows],
    ['FROM exception_item', open],
  ]);
  const session = new CaseSession(tx.manager, caseRecord({ state }), definition, cause);
  const done = await completeIfAllApplied(session);
  await session.save();
  return { done, tx };
}

describe('completion', () => {
  it('never completes while a required writeback is not applied (an optional one does not count)', async () => {
    const { done, tx } = await complete('AWAITING_WRITEBACK', [
      row('kyc-document', 'APPLIED'),
      row('kyc-clear-flag', 'UNKNOWN'),
    ]);
    expect(done).toBe(false);
    expect(tx.saved().state).toBe('AWAITING_WRITEBACK');
    const optional = await complete('AWAITING_WRITEBACK', [
      row('kyc-document', 'APPLIED'),
      row('kyc-clear-flag', 'APPLIED'),
      row('note', 'FAILED_PERMANENT', { required: false }),
    ]);
    expect(optional.done).toBe(true);
  });

  it('completes with the proof the definition asks for, the keys on case.state, and every timer cancelled', async () => {
    const { done, tx } = await complete('AWAITING_WRITEBACK', [
      row('kyc-document', 'APPLIED'),
      row('kyc-clear-flag', 'APPLIED'),
    ]);
    expect(done).toBe(true);
    const saved = tx.saved();
    expect(saved.state).toBe('COMPLETED');
    expect(saved.cancelled.sort()).toEqual(['ESCALATION', 'EXPIRY', 'REMINDER', 'WRITEBACK_SLO']);
    const state = saved.messages.find((m) => m.topic === Topics.caseState)!.value;
    expect(state['requiredWritebacks']).toEqual(['key-kyc-document', 'key-kyc-clear-flag']);
    expect(state['appliedWritebacks']).toEqual(['key-kyc-document', 'key-kyc-clear-flag']);
    expect(saved.timeline.find((e) => e.kind === 'case.proof')!.detail['proof']).toMatchObject({
      'kyc-document.payload.documentType': 'passport',
      'kyc-document.result.status': 'APPLIED',
      'kyc-document.result.providerRef': 'ref-kyc-document',
      'kyc-clear-flag.result.status': 'APPLIED',
    });
  });

  it('from EXCEPTION: resolves an open degraded-destination exception, but waits for an agent on any other', async () => {
    const applied = [row('kyc-document', 'APPLIED'), row('kyc-clear-flag', 'APPLIED')];
    const degraded = await complete('EXCEPTION', applied, [{ kind: 'DESTINATION_DEGRADED' }]);
    expect(degraded.done).toBe(true);
    expect(degraded.tx.matching("SET status = 'RESOLVED'")).toHaveLength(1);
    const failed = await complete('EXCEPTION', applied, [{ kind: 'WRITEBACK_FAILED' }]);
    expect(failed.done).toBe(false);
    expect(failed.tx.matching("SET status = 'RESOLVED'")).toEqual([]);
  });
});
