import type { DataSource } from 'typeorm';
import { Topics, type MiniappAction } from '@closeout/contracts';
import { EligibilityPolicy } from '@closeout/workflow-domain';
import { UnknownActionCaseError } from '../cases/case-errors';
import { poisonReason } from '../cases/case-batch';
import { exceptionPath } from '../cases/case-session';
import type { CaseRecord } from '../cases/case-record';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { caseRow, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { TakeActionUseCase } from './take-action.use-case';

const definition = seedDefinition('kyc-refresh');
const policy = new EligibilityPolicy(definition);
const catalog = { get: () => definition, policy: () => policy } as unknown as WorkflowCatalog;
const NOW = 1_736_000_000_000;

function action(over: Partial<MiniappAction> = {}): MiniappAction {
  return {
    eventId: 'act-evt-1',
    occurredAt: NOW,
    correlationId: 'corr-1',
    causationId: null,
    idempotencyKey: 'act-key-1',
    caseId: 'case-1',
    workflowId: 'kyc-refresh',
    actionId: 'upload-documents',
    action: 'document.upload',
    identityMethod: 'OTP',
    consentRef: 'consent-1',
    sessionRef: 'ses-1',
    parameters: { documentType: 'passport', documentRef: 'doc-1', sha256: 'a'.repeat(64) },
    ...over,
  };
}

interface Scene {
  record?: Partial<CaseRecord> | null;
  first?: boolean;
  /** The same business action (idempotency key) was already recorded on the case. */
  seen?: boolean;
}

async function take(act: MiniappAction, scene: Scene = {}) {
  const tx = new ScriptedTx([
    [
      'WITH inbox AS',
      scene.record === null
        ? []
        : [
            {
              ...caseRow({ state: 'AWAITING_CUSTOMER', ...scene.record }),
              first: scene.first === false ? 0 : 1,
            },
          ],
    ],
    ['SELECT 1 FROM case_action', scene.seen ? [{ '?column?': 1 }] : []],
    ['INSERT INTO exception_item', [{ exception_id: 'exc-new' }]],
  ]);
  const db = {
    transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
  } as unknown as DataSource;
  const run = new TakeActionUseCase(db, catalog).execute(act, NOW);
  return { run, tx };
}

const recordedOutcome = (tx: ScriptedTx) => tx.matching('INSERT INTO case_action')[0]?.params[4];
const audits = (tx: ScriptedTx) =>
  tx
    .saved()
    .messages.filter((m) => m.topic === Topics.auditEvent)
    .map((m) => m.value);

describe('a customer action', () => {
  it('eligible, valid and verified: accepted, its writebacks recorded and requested, and the case waits for them', async () => {
    const { run, tx } = await take(action());
    expect(await run).toBe('accepted');
    expect(recordedOutcome(tx)).toBe('accepted');

    const saved = tx.saved();
    expect(saved).toMatchObject({ state: 'AWAITING_WRITEBACK', dirty: true });
    expect([...saved.cancelled].sort()).toEqual(['EXPIRY', 'REMINDER']);

    const insert = tx.matching('INSERT INTO case_writeback')[0]!;
    const built = JSON.parse(insert.params[2] as string) as { writebackId: string; idempotencyKey: string }[];
    expect(built.map((b) => b.writebackId)).toEqual(['kyc-document', 'kyc-clear-flag']);

    const requests = saved.messages.filter((m) => m.topic === Topics.writebackRequested).map((m) => m.value);
    expect(requests.map((r) => r['idempotencyKey'])).toEqual(built.map((b) => b.idempotencyKey));
    expect(requests[0]).toMatchObject({ consentRef: 'consent-1', causationId: 'act-evt-1' });
    expect(saved.messages.find((m) => m.topic === Topics.caseState)?.value).toMatchObject({
      state: 'AWAITING_WRITEBACK',
      requiredWritebacks: built.map((b) => b.idempotencyKey),
      appliedWritebacks: [],
    });
    expect(saved.timers).toEqual([
      {
        timerId: 'tmr_case-1_slo_0',
        kind: 'WRITEBACK_SLO',
        dueAt: NOW + 2 * 3_600_000,
        payload: { round: 0 },
      },
    ]);

    const chosen = JSON.parse(tx.matching('WITH upd AS (').at(-1)!.params[4] as string) as Record<
      string,
      unknown
    >;
    expect(chosen).toMatchObject({ actionId: 'upload-documents', consentRef: 'consent-1', receivedAt: NOW });
    expect(audits(tx).find((a) => a['action'] === 'action.accepted')).toMatchObject({
      actor: { type: 'CUSTOMER', id: 'cus-1' },
      outcome: 'SUCCESS',
    });
  });

  it('with a parameter the workflow does not allow: refused and audited as DENIED with the rule; the case does not move', async () => {
    const { run, tx } = await take(
      action({ parameters: { documentType: 'selfie', documentRef: 'd', sha256: 'b' } }),
    );
    expect(await run).toBe('refused');
    expect(recordedOutcome(tx)).toBe('refused');
    expect(tx.saved()).toMatchObject({ state: 'AWAITING_CUSTOMER', dirty: false, timers: [], cancelled: [] });
    expect(tx.matching('INSERT INTO case_writeback')).toEqual([]);
    const [refused] = audits(tx);
    expect(refused).toMatchObject({ action: 'action.refused', outcome: 'DENIED' });
    expect((refused!['references'] as Record<string, string>)['ruleId']).toBe(
      'kyc-refresh@v1/actions/upload-documents/parameters',
    );
  });

  it('verified more weakly than the workflow requires: refused under the identity rule', async () => {
    const { run, tx } = await take(action({ identityMethod: 'NONE' }));
    expect(await run).toBe('refused');
    expect(tx.saved().state).toBe('AWAITING_CUSTOMER');
    expect(tx.saved().timeline).toEqual([
      expect.objectContaining({
        kind: 'action.refused',
        ruleId: 'kyc-refresh@v1/actions/upload-documents/identity',
      }),
    ]);
  });

  it('an action the workflow does not define: refused, nothing requested', async () => {
    const { run, tx } = await take(action({ action: 'card.update', parameters: {} }));
    expect(await run).toBe('refused');
    expect(tx.saved().timeline[0]).toMatchObject({ ruleId: 'kyc-refresh@v1/actions' });
    expect(tx.saved().messages.filter((m) => m.topic === Topics.writebackRequested)).toEqual([]);
    expect(tx.saved().state).toBe('AWAITING_CUSTOMER');
  });

  it('a decline: the case goes to EXCEPTION, reminders and expiry are cancelled, a DECLINED exception opens', async () => {
    const { run, tx } = await take(action({ action: 'decline', parameters: { reason: 'prefers branch' } }), {
      record: { outreachAttempts: 2 },
    });
    expect(await run).toBe('declined');
    expect(recordedOutcome(tx)).toBe('declined');
    const saved = tx.saved();
    expect(saved).toMatchObject({ state: 'EXCEPTION', dirty: true });
    expect([...saved.cancelled].sort()).toEqual(['EXPIRY', 'REMINDER']);
    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params.slice(1, 5)).toEqual(['case-1', 'DECLINED', 'kyc-operations', 'normal']);
    expect(JSON.parse(insert.params[6] as string)).toMatchObject({
      whatWasTried: { outreachAttempts: 2 },
      customerDid: { action: 'decline', identityMethod: 'OTP', reason: 'prefers branch' },
    });
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'case.exception',
      'action.declined',
      'exception.opened',
    ]);
  });

  it('identity.locked (one-time code tries used up): the case goes to EXCEPTION as VERIFICATION_FAILED on the workflow’s queue at high priority, reminders and expiry cancelled, audited', async () => {
    const locked = action({
      action: 'identity.locked',
      actionId: 'identity.locked',
      identityMethod: 'NONE',
      consentRef: null,
      parameters: { reason: 'otp-attempts' },
    });
    const { run, tx } = await take(locked, { record: { outreachAttempts: 1 } });
    expect(await run).toBe('locked');
    expect(recordedOutcome(tx)).toBe('locked');
    const saved = tx.saved();
    expect(saved).toMatchObject({ state: 'EXCEPTION', dirty: true });
    expect([...saved.cancelled].sort()).toEqual(['EXPIRY', 'REMINDER']);
    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params.slice(1, 5)).toEqual([
      'case-1',
      'VERIFICATION_FAILED',
      definition.exceptions.VERIFICATION_FAILED!.queue,
      'high',
    ]);
    const context = JSON.parse(insert.params[6] as string) as Record<string, unknown>;
    expect(context).toMatchObject({
      whatWasTried: { outreachAttempts: 1, identityRequired: 'OTP' },
      customerDid: { action: 'identity.locked', reason: 'otp-attempts', identityMethod: 'NONE' },
      audit: { actionEventId: 'act-evt-1' },
      guidance: definition.exceptions.VERIFICATION_FAILED!.guidance,
    });
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'case.exception',
      'identity.locked',
      'exception.opened',
    ]);
    expect(saved.messages.find((m) => m.topic === Topics.caseState)?.value).toMatchObject({
      state: 'EXCEPTION',
      previousState: 'AWAITING_CUSTOMER',
    });
    expect(audits(tx).find((a) => a['action'] === 'identity.locked')).toMatchObject({
      actor: { type: 'CUSTOMER', id: 'cus-1' },
      outcome: 'DENIED',
    });
    expect(tx.matching('INSERT INTO case_writeback')).toEqual([]);
  });

  it('identity.locked for known-fact tries says so; a reason outside the contract is recorded as unstated, never quoted', async () => {
    const facts = await take(
      action({ action: 'identity.locked', parameters: { reason: 'known-fact-attempts' } }),
    );
    expect(await facts.run).toBe('locked');
    const factsContext = JSON.parse(facts.tx.matching('INSERT INTO exception_item')[0]!.params[6] as string);
    expect(factsContext).toMatchObject({ customerDid: { reason: 'known-fact-attempts' } });

    const odd = await take(
      action({ action: 'identity.locked', parameters: { reason: '1984-03-12 SW1A1AA' } }),
    );
    expect(await odd.run).toBe('locked');
    const oddInsert = odd.tx.matching('INSERT INTO exception_item')[0]!;
    expect(JSON.parse(oddInsert.params[6] as string)).toMatchObject({ customerDid: { reason: 'unstated' } });
    expect(JSON.stringify(odd.tx.saved())).not.toContain('1984-03-12');
  });

  it('identity.locked on a case that no longer awaits the customer: refused (DENIED), no exception opened', async () => {
    const { run, tx } = await take(
      action({ action: 'identity.locked', parameters: { reason: 'otp-attempts' } }),
      {
        record: { state: 'EXCEPTION' },
      },
    );
    expect(await run).toBe('refused');
    expect(tx.saved()).toMatchObject({ state: 'EXCEPTION', dirty: false, cancelled: [] });
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
  });

  it('identity.locked redelivered: duplicate, nothing decided or recorded', async () => {
    const { run, tx } = await take(
      action({ action: 'identity.locked', parameters: { reason: 'otp-attempts' } }),
      {
        first: false,
      },
    );
    expect(await run).toBe('duplicate');
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });

  it('on a case no longer awaiting the customer: refused (DENIED), the case unchanged', async () => {
    const { run, tx } = await take(action(), { record: { state: 'AWAITING_WRITEBACK' } });
    expect(await run).toBe('refused');
    expect(tx.saved()).toMatchObject({ state: 'AWAITING_WRITEBACK', dirty: false });
    expect(tx.saved().timeline).toEqual([
      expect.objectContaining({
        kind: 'action.refused',
        detail: { action: 'document.upload', state: 'AWAITING_WRITEBACK' },
      }),
    ]);
    expect(audits(tx)[0]).toMatchObject({ outcome: 'DENIED' });
  });

  it('the same business action again under a new event: duplicate, noted, nothing requested', async () => {
    const { run, tx } = await take(action({ eventId: 'act-evt-2' }), { seen: true });
    expect(await run).toBe('duplicate');
    expect(tx.saved()).toMatchObject({ state: 'AWAITING_CUSTOMER', dirty: false });
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual(['action.duplicate']);
    expect(tx.matching('INSERT INTO case_writeback')).toEqual([]);
  });

  it('a redelivered event: duplicate before anything is decided or recorded', async () => {
    const { run, tx } = await take(action(), { first: false });
    expect(await run).toBe('duplicate');
    expect(tx.matching('case_action')).toEqual([]);
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });

  it('for a case this orchestrator never held: dead-lettered at once, never retried in place', async () => {
    const { run, tx } = await take(action({ caseId: 'case-404' }), { record: null });
    await expect(run).rejects.toBeInstanceOf(UnknownActionCaseError);
    await expect(run).rejects.toMatchObject({ code: 'ACTION_CASE_UNKNOWN', caseId: 'case-404' });
    expect(poisonReason(await run.catch((e: unknown) => e), 1)).toBe(
      'caseId: no such case: this orchestrator never offered it to a customer',
    );
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });
});

describe('a VERIFICATION_FAILED exception on a definition that names no VERIFICATION_FAILED path', () => {
  it('goes to the definition’s DECLINED queue at high priority, with guidance to verify by phone', () => {
    const older = { ...definition, exceptions: { ...definition.exceptions } };
    delete older.exceptions.VERIFICATION_FAILED;
    const path = exceptionPath(older, 'VERIFICATION_FAILED');
    expect(path).toMatchObject({ queue: definition.exceptions.DECLINED.queue, priority: 'high' });
    expect(path.guidance).toMatch(/verify them by phone; never read a one-time code or a known fact back/);
  });
});
