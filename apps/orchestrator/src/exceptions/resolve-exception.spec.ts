import type { DataSource } from 'typeorm';
import { Topics } from '@closeout/contracts';
import type { ChosenAction, CaseRecord, CaseWritebackRow } from '../cases/case-record';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { caseRow, ScriptedTx, seedDefinition, writebackRow } from '../test-support/scripted-tx';
import {
  ResolveExceptionError,
  ResolveExceptionUseCase,
  type ResolveCommand,
} from './resolve-exception.use-case';

const definition = seedDefinition('kyc-refresh');
const catalog = { get: () => definition } as unknown as WorkflowCatalog;
const NOW = 1_736_000_000_000;

const chosen: ChosenAction = {
  eventId: 'act-1',
  actionId: 'upload-documents',
  action: 'document.upload',
  parameters: { documentType: 'passport', documentRef: 'doc-1', sha256: 'a'.repeat(64) },
  consentRef: 'consent-1',
  identityMethod: 'OTP',
  sessionRef: 'ses-1',
  receivedAt: 1_735_900_000_000,
};

interface Scene {
  /** The exception as the first (unlocked) look-up finds it; null: no such exception. */
  exception?: { kind: string; status?: string } | null;
  /** Its status once locked, if another agent resolved it in between. */
  lockedStatus?: string;
  /** The case; null: the case row is gone. */
  record?: Partial<CaseRecord> | null;
  writebacks?: CaseWritebackRow[];
}

async function resolve(scene: Scene, command: Partial<ResolveCommand> = {}) {
  const exc =
    scene.exception === null
      ? null
      : {
          exception_id: 'exc-1',
          case_id: 'case-1',
          status: 'OPEN',
          kind: 'WRITEBACK_FAILED',
          ...scene.exception,
        };
  const tx = new ScriptedTx([
    ['WHERE exception_id = $1 FOR UPDATE', exc ? [{ ...exc, status: scene.lockedStatus ?? exc.status }] : []],
    ['FROM exception_item WHERE exception_id', exc ? [exc] : []],
    [
      'FROM cases WHERE case_id',
      scene.record === null ? [] : [caseRow({ state: 'EXCEPTION', ...scene.record })],
    ],
    ['FROM case_writeback WHERE case_id', scene.writebacks ?? []],
    ['INSERT INTO exception_item', [{ exception_id: 'exc-new' }]],
  ]);
  const db = {
    transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
  } as unknown as DataSource;
  const run = new ResolveExceptionUseCase(db, catalog).execute(
    {
      exceptionId: 'exc-1',
      resolution: 'close',
      agentId: 'agent-7',
      note: 'checked with the customer',
      ...command,
    },
    NOW,
  );
  return { run, tx };
}

/** The refusal `run` ends in, with nothing of the resolution recorded. */
async function refusal(run: Promise<unknown>, tx: ScriptedTx): Promise<ResolveExceptionError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ResolveExceptionError);
  expect(tx.matching('UPDATE exception_item')).toEqual([]);
  expect(tx.matching('WITH upd AS (')).toEqual([]);
  expect(tx.matching('UPDATE case_writeback')).toEqual([]);
  return error as ResolveExceptionError;
}

describe('resolving an exception: refusals', () => {
  it('no exception has the id: EXCEPTION_NOT_FOUND on exceptionId, and no case is locked', async () => {
    const { run, tx } = await resolve({ exception: null });
    const e = await refusal(run, tx);
    expect(e).toMatchObject({ code: 'EXCEPTION_NOT_FOUND', field: 'exceptionId' });
    expect(tx.matching('FROM cases')).toEqual([]);
  });

  it('resolved by someone else before the lock was taken: EXCEPTION_ALREADY_RESOLVED on exceptionId', async () => {
    const { run, tx } = await resolve({ exception: { kind: 'WRITEBACK_FAILED' }, lockedStatus: 'RESOLVED' });
    expect(await refusal(run, tx)).toMatchObject({
      code: 'EXCEPTION_ALREADY_RESOLVED',
      field: 'exceptionId',
    });
  });

  it('an open exception whose case row is gone is treated as already resolved', async () => {
    const { run, tx } = await resolve({ exception: { kind: 'EXPIRED' }, record: null });
    expect(await refusal(run, tx)).toMatchObject({
      code: 'EXCEPTION_ALREADY_RESOLVED',
      field: 'exceptionId',
    });
  });

  it('a resolution the kind does not allow: RESOLUTION_NOT_ALLOWED on resolution, the rule listing what is allowed', async () => {
    const { run, tx } = await resolve({ exception: { kind: 'OPTED_OUT' } }, { resolution: 'hand_back' });
    const e = await refusal(run, tx);
    expect(e).toMatchObject({ code: 'RESOLUTION_NOT_ALLOWED', field: 'resolution' });
    expect(e.rule).toBe('must be one of close for a OPTED_OUT exception');
  });

  it('retry on a DECLINED exception is refused (the customer must be asked again, not the cores)', async () => {
    const { run, tx } = await resolve({ exception: { kind: 'DECLINED' } }, { resolution: 'retry' });
    const e = await refusal(run, tx);
    expect(e).toMatchObject({ code: 'RESOLUTION_NOT_ALLOWED', field: 'resolution' });
    expect(e.rule).toBe('must be one of hand_back, close for a DECLINED exception');
  });

  it('a kind the table does not know may only be closed', async () => {
    const { run, tx } = await resolve({ exception: { kind: 'SOMETHING_NEW' } }, { resolution: 'retry' });
    expect((await refusal(run, tx)).rule).toBe('must be one of close for a SOMETHING_NEW exception');
  });

  it('hand_back once part of the action is applied: refused, nothing superseded', async () => {
    const { run, tx } = await resolve(
      {
        exception: { kind: 'WRITEBACK_FAILED' },
        record: { chosenAction: chosen },
        writebacks: [
          writebackRow({ status: 'APPLIED' }),
          writebackRow({
            writeback_id: 'kyc-clear-flag',
            idempotency_key: 'key-flag',
            status: 'FAILED_PERMANENT',
          }),
        ],
      },
      { resolution: 'hand_back' },
    );
    const e = await refusal(run, tx);
    expect(e).toMatchObject({ code: 'RESOLUTION_NOT_ALLOWED', field: 'resolution' });
    expect(e.rule).toMatch(/already applied/);
  });

  it('retry on a terminal case (a break flagged after completion): refused on resolution', async () => {
    const { run, tx } = await resolve(
      { exception: { kind: 'RECONCILIATION_BREAK' }, record: { state: 'COMPLETED', chosenAction: chosen } },
      { resolution: 'retry' },
    );
    const e = await refusal(run, tx);
    expect(e).toMatchObject({ code: 'RESOLUTION_NOT_ALLOWED', field: 'resolution' });
    expect(e.rule).toMatch(/^retry is not possible on a COMPLETED case/);
  });

  it('retry on a case where the customer chose nothing: refused on resolution', async () => {
    const { run, tx } = await resolve(
      { exception: { kind: 'DESTINATION_DEGRADED' }, record: { chosenAction: null } },
      { resolution: 'retry' },
    );
    const e = await refusal(run, tx);
    expect(e).toMatchObject({ code: 'RESOLUTION_NOT_ALLOWED', field: 'resolution' });
    expect(e.rule).toMatch(/has none$/);
  });
});

describe('resolving an exception: close', () => {
  it('closes the case, cancels every timer, marks the exception resolved by the agent and audits it as the agent', async () => {
    const { run, tx } = await resolve({ exception: { kind: 'WRITEBACK_FAILED' } }, { resolution: 'close' });
    expect(await run).toEqual({ caseId: 'case-1', state: 'CLOSED' });

    const saved = tx.saved();
    expect(saved).toMatchObject({ dirty: true, state: 'CLOSED' });
    expect([...saved.cancelled].sort()).toEqual(['ESCALATION', 'EXPIRY', 'REMINDER', 'WRITEBACK_SLO']);
    expect(saved.timeline.map((e) => e.kind)).toEqual(['case.closed', 'exception.resolved']);

    const [update] = tx.matching("UPDATE exception_item SET status = 'RESOLVED'");
    expect(update!.params[0]).toBe('exc-1');
    expect(JSON.parse(update!.params[1] as string)).toEqual({
      resolution: 'close',
      by: 'agent-7',
      note: 'checked with the customer',
      at: new Date(NOW).toISOString(),
    });

    const audits = saved.messages.filter((m) => m.topic === Topics.auditEvent).map((m) => m.value);
    expect(audits).toHaveLength(2);
    for (const a of audits)
      expect(a).toMatchObject({
        actor: { type: 'AGENT', id: 'agent-7' },
        causationId: 'agent:agent-7:exc-1',
      });
    expect(audits[1]).toMatchObject({
      action: 'exception.resolved',
      outcome: 'SUCCESS',
      references: { exceptionId: 'exc-1' },
    });
    expect(saved.messages.find((m) => m.topic === Topics.caseState)?.value).toMatchObject({
      state: 'CLOSED',
      previousState: 'EXCEPTION',
    });
  });

  it('acknowledges a break on a completed case without moving the case', async () => {
    const { run, tx } = await resolve(
      { exception: { kind: 'RECONCILIATION_BREAK' }, record: { state: 'COMPLETED' } },
      { resolution: 'close' },
    );
    expect(await run).toEqual({ caseId: 'case-1', state: 'COMPLETED' });
    expect(tx.saved()).toMatchObject({ dirty: false, state: 'COMPLETED', cancelled: [] });
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual(['exception.resolved']);
    expect(tx.matching("UPDATE exception_item SET status = 'RESOLVED'")).toHaveLength(1);
  });
});

describe('resolving an exception: hand_back', () => {
  it('starts a new round with the customer: unapplied writebacks superseded, choice cleared, next outreach attempt sent', async () => {
    const { run, tx } = await resolve(
      {
        exception: { kind: 'EXPIRED' },
        record: { state: 'EXPIRED', chosenAction: null, retryRound: 0, outreachAttempts: 3 },
        writebacks: [],
      },
      { resolution: 'hand_back' },
    );
    expect(await run).toEqual({ caseId: 'case-1', state: 'AWAITING_CUSTOMER' });

    const saved = tx.saved();
    const params = tx.matching('WITH upd AS (').at(-1)!.params;
    expect(params[4]).toBeNull(); // chosen_action
    expect(params[5]).toBe(1); // retry_round
    expect(params[6]).toBe(4); // outreach_attempts: the new round's first message is attempt 4
    expect(tx.matching('UPDATE case_writeback SET superseded = true')[0]!.params).toEqual(['case-1']);

    const outreach = saved.messages.filter((m) => m.topic === Topics.outreachRequested);
    expect(outreach).toHaveLength(1);
    expect(outreach[0]!.value).toMatchObject({ attempt: 4, outreachId: 'out_case-1_4', channel: 'SMS' });
    expect(saved.timers.map((t) => t.timerId)).toEqual(['tmr_case-1_expiry_4']);
    expect(saved.progress.round).toEqual({ first: 4, last: 6, startedAt: expect.any(Number) });
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'case.awaiting_customer',
      'outreach.requested',
      'exception.resolved',
    ]);
  });
});

describe('resolving an exception: retry', () => {
  const failedDoc = writebackRow({
    status: 'FAILED_PERMANENT',
    error_class: 'VALIDATION',
    idempotency_key: 'key-doc-0',
  });
  const unknownFlag = writebackRow({
    writeback_id: 'kyc-clear-flag',
    operation: 'flag.clear',
    idempotency_key: 'key-flag-0',
    status: 'UNKNOWN',
    payload: { accountId: '4000000001', flag: 'KYC_REFRESH_DUE' },
  });

  it('re-requests a permanently failed writeback under a new key and re-asks an unresolved one under its own', async () => {
    const { run, tx } = await resolve(
      {
        exception: { kind: 'WRITEBACK_FAILED' },
        record: { chosenAction: chosen, retryRound: 0 },
        writebacks: [failedDoc, unknownFlag],
      },
      { resolution: 'retry' },
    );
    expect(await run).toEqual({ caseId: 'case-1', state: 'AWAITING_WRITEBACK' });

    // The failed one is superseded by key, and only it is rebuilt and recorded for round 1.
    expect(tx.matching('UPDATE case_writeback SET superseded = true')[0]!.params).toEqual([
      'case-1',
      ['key-doc-0'],
    ]);
    const insert = tx.matching('INSERT INTO case_writeback')[0]!;
    expect(insert.params[1]).toBe(1);
    const built = JSON.parse(insert.params[2] as string) as { writebackId: string; idempotencyKey: string }[];
    expect(built.map((b) => b.writebackId)).toEqual(['kyc-document']);
    expect(built[0]!.idempotencyKey).not.toBe('key-doc-0');

    const saved = tx.saved();
    expect(saved).toMatchObject({ dirty: true, state: 'AWAITING_WRITEBACK' });
    const requests = saved.messages.filter((m) => m.topic === Topics.writebackRequested).map((m) => m.value);
    expect(requests).toEqual([
      expect.objectContaining({ idempotencyKey: built[0]!.idempotencyKey, operation: 'document.attach' }),
      expect.objectContaining({
        idempotencyKey: 'key-flag-0',
        eventId: 'wrq_key-flag-0_1',
        operation: 'flag.clear',
        consentRef: 'consent-1',
      }),
    ]);
    expect(saved.timers).toEqual([
      {
        timerId: 'tmr_case-1_slo_1',
        kind: 'WRITEBACK_SLO',
        dueAt: NOW + 2 * 3_600_000,
        payload: { round: 1 },
      },
    ]);
    expect(tx.matching('WITH upd AS (').at(-1)!.params[5]).toBe(1); // retry_round
  });

  it('with nothing failed permanently, only re-asks the outstanding writebacks (no new keys, nothing superseded)', async () => {
    const { run, tx } = await resolve(
      {
        exception: { kind: 'DESTINATION_DEGRADED' },
        record: { chosenAction: chosen, retryRound: 2 },
        writebacks: [writebackRow({ status: 'APPLIED', idempotency_key: 'key-doc-0' }), unknownFlag],
      },
      { resolution: 'retry' },
    );
    await run;
    expect(tx.matching('UPDATE case_writeback')).toEqual([]);
    expect(tx.matching('INSERT INTO case_writeback')).toEqual([]);
    const requests = tx.saved().messages.filter((m) => m.topic === Topics.writebackRequested);
    expect(requests.map((m) => m.value['eventId'])).toEqual(['wrq_key-flag-0_3']);
    expect(tx.saved().timers.map((t) => t.timerId)).toEqual(['tmr_case-1_slo_3']);
  });
});
