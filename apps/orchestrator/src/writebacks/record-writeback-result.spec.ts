import type { DataSource } from 'typeorm';
import { Topics, type WritebackResult } from '@closeout/contracts';
import type { CaseRecord, CaseWritebackRow } from '../cases/case-record';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { caseRow, ScriptedTx, seedDefinition, writebackRow } from '../test-support/scripted-tx';
import { RecordWritebackResultUseCase } from './record-writeback-result.use-case';

const definition = seedDefinition('kyc-refresh');
const catalog = { get: () => definition } as unknown as WorkflowCatalog;
const NOW = 1_736_000_000_000;

function result(over: Partial<WritebackResult> = {}): WritebackResult {
  return {
    eventId: 'wbr-1',
    occurredAt: NOW,
    correlationId: 'corr-1',
    causationId: null,
    idempotencyKey: 'key-doc',
    destination: 'core-banking-rest',
    protocol: 'REST',
    operation: 'document.attach',
    caseId: 'case-1',
    workflowId: 'kyc-refresh',
    status: 'APPLIED',
    providerRef: 'prov-1',
    errorClass: null,
    errorMessage: null,
    attempts: 2,
    latencyMs: 120,
    contractVersion: '1',
    mappingVersion: '1',
    duplicate: false,
    destinationDegraded: false,
    ...over,
  };
}

interface Scene {
  /** null: no case of ours asked for this writeback. */
  record?: Partial<CaseRecord> | null;
  /** false: the inbox already holds the event (a redelivery). */
  first?: boolean;
  /** The writeback row the result is about, as it stands before the result. */
  row?: CaseWritebackRow;
  /** Every live writeback of the case, after the result's UPDATE (what completion reads). */
  all?: CaseWritebackRow[];
}

async function record(scene: Scene, res: WritebackResult) {
  const tx = new ScriptedTx([
    [
      'WITH inbox AS',
      scene.record === null
        ? []
        : [
            {
              ...caseRow({ state: 'AWAITING_WRITEBACK', ...scene.record }),
              first: scene.first === false ? 0 : 1,
            },
          ],
    ],
    // The writeback as it stood and, after its move, the case's live writebacks: one statement.
    [
      'WITH target AS',
      [
        { part: 'target', ...(scene.row ?? writebackRow()) },
        ...(scene.all ?? []).map((r) => ({ part: 'case', ...r })),
      ],
    ],
    ["FROM exception_item WHERE case_id = $1 AND status = 'OPEN'", []],
    ['INSERT INTO exception_item', [{ exception_id: 'exc-new' }]],
  ]);
  const db = {
    transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
  } as unknown as DataSource;
  const outcome = await new RecordWritebackResultUseCase(db, catalog).execute(res, NOW);
  return { outcome, tx };
}

const audits = (tx: ScriptedTx) =>
  tx
    .saved()
    .messages.filter((m) => m.topic === Topics.auditEvent)
    .map((m) => m.value);

describe('a writeback result that changes nothing', () => {
  it('for a writeback no case of ours asked for: ignored, nothing written', async () => {
    const { outcome, tx } = await record({ record: null }, result());
    expect(outcome).toBe('ignored');
    expect(tx.statements).toHaveLength(1);
  });

  it('redelivered (the inbox already has the event): duplicate, the writeback row is not touched', async () => {
    const { outcome, tx } = await record({ first: false }, result({ status: 'FAILED_PERMANENT' }));
    expect(outcome).toBe('duplicate');
    expect(tx.matching('UPDATE case_writeback')).toEqual([]);
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });

  it('for a writeback already applied: ignored, so a late failure cannot move it backwards', async () => {
    const { outcome, tx } = await record(
      { row: writebackRow({ status: 'APPLIED' }) },
      result({ status: 'FAILED_PERMANENT', errorClass: 'VALIDATION' }),
    );
    expect(outcome).toBe('ignored');
    // The move's guard is in the statement (only from a status other than APPLIED): nothing decided, nothing saved.
    expect(tx.matching('WITH upd AS (')).toEqual([]);
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
  });

  it('for a writeback superseded by a retry round: ignored', async () => {
    const { outcome, tx } = await record({ row: writebackRow({ superseded: true }) }, result());
    expect(outcome).toBe('ignored');
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });
});

describe('an applied writeback', () => {
  it('records the status and provider reference; the case waits while another required writeback is outstanding', async () => {
    const { outcome, tx } = await record(
      {
        all: [
          writebackRow({ status: 'APPLIED', provider_ref: 'prov-1' }),
          writebackRow({ writeback_id: 'kyc-clear-flag', idempotency_key: 'key-flag', status: 'PENDING' }),
        ],
      },
      result(),
    );
    expect(outcome).toBe('applied');
    expect(tx.matching('UPDATE case_writeback')[0]!.params).toEqual([
      'core-banking-rest',
      'key-doc',
      'APPLIED',
      null,
      null,
      'prov-1',
      2,
    ]);
    expect(tx.saved()).toMatchObject({ state: 'AWAITING_WRITEBACK', dirty: false });
    expect(audits(tx)).toEqual([
      expect.objectContaining({
        action: 'writeback.applied',
        outcome: 'SUCCESS',
        references: expect.objectContaining({ idempotencyKey: 'key-doc', providerRef: 'prov-1' }),
      }),
    ]);
  });

  it('the last required one completes the case', async () => {
    const { outcome, tx } = await record(
      {
        all: [
          writebackRow({ status: 'APPLIED', provider_ref: 'prov-1' }),
          writebackRow({ writeback_id: 'kyc-clear-flag', idempotency_key: 'key-flag', status: 'APPLIED' }),
        ],
      },
      result(),
    );
    expect(outcome).toBe('completed');
    expect(tx.saved()).toMatchObject({ state: 'COMPLETED', dirty: true });
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual([
      'writeback.applied',
      'case.completed',
      'case.proof',
    ]);
  });
});

describe('a permanently failed writeback', () => {
  it('of a required writeback: the case goes to EXCEPTION and a WRITEBACK_FAILED exception opens on the correction route', async () => {
    const { outcome, tx } = await record(
      {
        record: {
          chosenAction: {
            eventId: 'act-1',
            actionId: 'upload-documents',
            action: 'document.upload',
            parameters: {},
            consentRef: 'consent-1',
            identityMethod: 'OTP',
            sessionRef: 'ses-1',
            receivedAt: 5,
          },
        },
      },
      result({
        status: 'FAILED_PERMANENT',
        errorClass: 'VALIDATION',
        errorMessage: 'unknown document type',
        providerRef: null,
      }),
    );
    expect(outcome).toBe('failed');
    expect(tx.saved()).toMatchObject({ state: 'EXCEPTION', dirty: true });

    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params.slice(1, 5)).toEqual(['case-1', 'WRITEBACK_FAILED', 'kyc-operations', 'high']);
    const context = JSON.parse(insert.params[6] as string) as Record<string, unknown>;
    expect(context).toMatchObject({
      route: 'correction',
      whatWasTried: { errorClass: 'VALIDATION', idempotencyKey: 'key-doc', attempts: 2 },
      customerDid: { actionId: 'upload-documents', consentRef: 'consent-1' },
      audit: { writebackResultEventId: 'wbr-1', correlationId: 'corr-1' },
    });

    const failed = audits(tx).find((a) => a['action'] === 'writeback.failed');
    expect(failed).toMatchObject({
      outcome: 'FAILURE',
      references: expect.objectContaining({ ruleId: 'kyc-refresh@v1/retryPolicy/VALIDATION' }),
    });
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual([
      'writeback.failed',
      'case.exception',
      'exception.opened',
    ]);
  });

  it('a conflict without an error class is classed CONFLICT', async () => {
    const { tx } = await record({}, result({ status: 'REJECTED_CONFLICT', errorClass: null }));
    expect(tx.saved().timeline[0]).toMatchObject({
      kind: 'writeback.failed',
      detail: expect.objectContaining({ errorClass: 'CONFLICT', route: 'correction' }),
    });
  });

  it('of an optional writeback: noted, but the case stays where it is and no exception opens', async () => {
    const { outcome, tx } = await record(
      { row: writebackRow({ required: false }) },
      result({ status: 'FAILED_PERMANENT', errorClass: 'VALIDATION' }),
    );
    expect(outcome).toBe('failed');
    expect(tx.saved()).toMatchObject({ state: 'AWAITING_WRITEBACK', dirty: false });
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual(['writeback.failed']);
  });

  it('on a case already in EXCEPTION: a second exception is asked for, the state is not re-entered', async () => {
    const { tx } = await record({ record: { state: 'EXCEPTION' } }, result({ status: 'FAILED_PERMANENT' }));
    expect(tx.saved()).toMatchObject({ state: 'EXCEPTION', dirty: false });
    expect(tx.saved().messages.filter((m) => m.topic === Topics.caseState)).toEqual([]);
    expect(tx.matching('INSERT INTO exception_item')).toHaveLength(1);
  });
});

describe('a writeback still in progress', () => {
  it('a retryable TRANSIENT failure: noted as progress and an escalation timer set from the retry policy', async () => {
    const { outcome, tx } = await record(
      { record: { retryRound: 1 } },
      result({ status: 'FAILED_RETRYABLE', errorClass: 'TRANSIENT', providerRef: null }),
    );
    expect(outcome).toBe('progress');
    const saved = tx.saved();
    expect(saved).toMatchObject({ state: 'AWAITING_WRITEBACK', dirty: false });
    expect(saved.timeline.map((e) => e.kind)).toEqual(['writeback.progress']);
    expect(saved.timers).toEqual([
      {
        timerId: 'tmr_case-1_esc_key-doc_TRANSIENT_1',
        kind: 'ESCALATION',
        dueAt: NOW + 2 * 3_600_000,
        payload: { destination: 'core-banking-rest', idempotencyKey: 'key-doc', errorClass: 'TRANSIENT' },
      },
    ]);
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
  });

  it('a degraded destination is noted as such; without an error class no escalation is scheduled', async () => {
    const { outcome, tx } = await record(
      {},
      result({ status: 'UNKNOWN', errorClass: null, destinationDegraded: true, providerRef: null }),
    );
    expect(outcome).toBe('progress');
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual(['destination.degraded']);
    expect(tx.saved().timers).toEqual([]);
    expect(audits(tx)[0]).toMatchObject({ outcome: 'PENDING' });
  });
});
