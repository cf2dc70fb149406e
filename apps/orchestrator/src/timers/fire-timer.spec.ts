import type { DataSource } from 'typeorm';
import { Topics } from '@closeout/contracts';
import type { CaseStatus } from '@closeout/contracts';
import type { AttemptProgress, CaseRecord } from '../cases/case-record';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { caseRow, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { FireTimerUseCase } from './fire-timer.use-case';
import { TimerScheduler } from './timer.scheduler';

const definition = seedDefinition('kyc-refresh');
const catalog = { get: () => definition } as unknown as WorkflowCatalog;

/** Fires `timer` on a case in `state`; `due` is what the locked SELECT of the timer finds (nothing: fired or cancelled). */
async function fire(state: CaseStatus, timer: { kind: string; payload: Record<string, unknown> } | null) {
  const tx = new ScriptedTx([
    ['FROM cases WHERE case_id', [caseRow({ state })]],
    ['FROM case_timer', timer ? [{ timer_id: 'tmr-1', case_id: 'case-1', ...timer }] : []],
  ]);
  const db = {
    transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
  } as unknown as DataSource;
  const firedNow = await new FireTimerUseCase(db, catalog).fire('tmr-1', 'case-1', 1_000);
  return { fired: firedNow, tx };
}

describe('a due timer', () => {
  it('REMINDER on a case from before receipts were recorded: the next attempt goes out at its fixed delay, fired with it', async () => {
    const { fired, tx } = await fire('AWAITING_CUSTOMER', { kind: 'REMINDER', payload: { attempt: 2 } });
    expect(fired).toBe(true);
    const saved = tx.saved();
    expect(saved.messages.find((m) => m.topic === Topics.outreachRequested)?.value).toMatchObject({
      attempt: 2,
    });
    expect(saved.timeline.map((e) => e.kind)).toEqual(['outreach.requested', 'timer.fired']);
    expect(tx.matching('SET fired_at = now()')[0]!.params).toEqual(['tmr-1']);
  });

  it('REMINDER once the customer has acted: fired (so never again) but nothing is sent', async () => {
    const { fired, tx } = await fire('AWAITING_WRITEBACK', { kind: 'REMINDER', payload: { attempt: 2 } });
    expect(fired).toBe(true);
    expect(tx.saved().messages.filter((m) => m.topic === Topics.outreachRequested)).toEqual([]);
    expect(tx.matching('SET fired_at = now()')).toHaveLength(1);
  });

  it('EXPIRY while awaiting the customer: the case expires, reminders are cancelled, an EXPIRED exception opens', async () => {
    const { tx } = await fire('OUTREACH', { kind: 'EXPIRY', payload: {} });
    expect(tx.saved()).toMatchObject({ state: 'EXPIRED', cancelled: ['REMINDER'] });
    expect(tx.matching('INSERT INTO exception_item')[0]!.params[2]).toBe('EXPIRED');
  });

  it('EXPIRY on a case already waiting for its writebacks changes nothing', async () => {
    const { tx } = await fire('AWAITING_WRITEBACK', { kind: 'EXPIRY', payload: {} });
    expect(tx.saved()).toMatchObject({ state: 'AWAITING_WRITEBACK', dirty: false });
    expect(tx.matching('INSERT INTO exception_item')).toEqual([]);
  });

  it('WRITEBACK_SLO with a required writeback not applied: the case goes to the exception queue as DESTINATION_DEGRADED', async () => {
    const tx = new ScriptedTx([
      ['FROM cases WHERE case_id', [caseRow({ state: 'AWAITING_WRITEBACK' })]],
      ['FROM case_timer', [{ timer_id: 'tmr-1', case_id: 'case-1', kind: 'WRITEBACK_SLO', payload: {} }]],
      [
        'FROM case_writeback',
        [{ required: true, status: 'UNKNOWN', destination: 'core-banking-rest', idempotency_key: 'k1' }],
      ],
    ]);
    const db = {
      transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
    } as unknown as DataSource;
    await new FireTimerUseCase(db, catalog).fire('tmr-1', 'case-1');
    expect(tx.saved().state).toBe('EXCEPTION');
    expect(tx.matching('INSERT INTO exception_item')[0]!.params[2]).toBe('DESTINATION_DEGRADED');
  });

  it('already fired or cancelled (the locked SELECT finds nothing): nothing happens', async () => {
    const { fired, tx } = await fire('OUTREACH', null);
    expect(fired).toBe(false);
    expect(tx.matching('WITH upd AS (')).toEqual([]);
    expect(tx.matching('SET fired_at')).toEqual([]);
  });
});

describe('a due REMINDER follows the receipts of the attempt before it', () => {
  const DAY = 86_400_000;
  const STARTED = 1_736_000_000_000;
  const round = { first: 1, last: 3, startedAt: STARTED };
  const attempt1 = (over: Partial<AttemptProgress>): Partial<CaseRecord> => ({
    state: 'OUTREACH',
    outreachAttempts: 1,
    outreachProgress: {
      round,
      attempts: { '1': { channel: 'EMAIL', requestedAt: STARTED, status: 'REQUESTED', ...over } },
    },
  });

  async function fireAt(over: Partial<CaseRecord>, now: number, attempt = 2) {
    const tx = new ScriptedTx([
      ['FROM cases WHERE case_id', [caseRow(over)]],
      ['FROM case_timer', [{ timer_id: 'tmr-1', case_id: 'case-1', kind: 'REMINDER', payload: { attempt } }]],
    ]);
    const db = {
      transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
    } as unknown as DataSource;
    const fired = await new FireTimerUseCase(db, catalog).fire('tmr-1', 'case-1', now);
    const requested = tx.saved().messages.filter((m) => m.topic === Topics.outreachRequested);
    return { fired, tx, requested };
  }

  it('attempt 1 not sent yet (e.g. held for quiet hours): attempt 2 is not sent; the reminder waits until the expiry', async () => {
    const { fired, tx, requested } = await fireAt(attempt1({}), STARTED + 3 * DAY);
    expect(fired).toBe(false);
    expect(requested).toEqual([]);
    expect(tx.matching('SET fired_at')).toEqual([]);
    expect(tx.matching('SET due_at')[0]!.params).toEqual(['tmr-1', STARTED + definition.outreach.expiry.ms]);
    expect(tx.saved().timeline).toEqual([
      expect.objectContaining({ kind: 'timer.rearmed', ruleId: 'kyc-refresh@v1/outreach/reminders' }),
    ]);
  });

  it('attempt 1 sent less than the gap ago (an older fixed-delay timer): moved to the gap after the send', async () => {
    const sentAt = STARTED + DAY;
    const { fired, tx, requested } = await fireAt(
      attempt1({ status: 'SENT', reachedAt: sentAt }),
      STARTED + 3 * DAY,
    );
    expect(fired).toBe(false);
    expect(requested).toEqual([]);
    expect(tx.matching('SET due_at')[0]!.params).toEqual(['tmr-1', sentAt + 3 * DAY]);
  });

  it.each([
    ['sent the gap ago and unanswered', { status: 'SENT' as const, reachedAt: STARTED }],
    ['delivered the gap ago', { status: 'DELIVERED' as const, reachedAt: STARTED }],
    ['held by a frequency cap the gap ago', { status: 'HELD' as const, reachedAt: STARTED }],
    ['failed', { status: 'FAILED' as const, endedAt: STARTED }],
  ])('attempt 1 %s: attempt 2 goes out and the timer is fired', async (_, over) => {
    const { fired, tx, requested } = await fireAt(attempt1(over), STARTED + 3 * DAY);
    expect(fired).toBe(true);
    expect(requested.map((m) => m.value)).toEqual([expect.objectContaining({ attempt: 2, channel: 'SMS' })]);
    expect(tx.matching('SET fired_at = now()')).toHaveLength(1);
  });

  it('attempt 2 already requested (brought forward by a failure): fired, nothing sent twice', async () => {
    const over = attempt1({ status: 'FAILED' });
    const { fired, tx, requested } = await fireAt({ ...over, outreachAttempts: 2 }, STARTED + 3 * DAY);
    expect(fired).toBe(true);
    expect(requested).toEqual([]);
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual(['reminder.skipped', 'timer.fired']);
  });

  it('attempt 2 not even requested when attempt 3’s reminder comes due: it waits', async () => {
    const { fired, requested } = await fireAt(
      attempt1({ status: 'SENT', reachedAt: STARTED }),
      STARTED + 9 * DAY,
      3,
    );
    expect(fired).toBe(false);
    expect(requested).toEqual([]);
  });

  it('past the round’s expiry the reminder is not made due again before the EXPIRY timer ends the case', async () => {
    const now = STARTED + definition.outreach.expiry.ms + 1_000;
    const { tx } = await fireAt(attempt1({}), now);
    expect(tx.matching('SET due_at')[0]!.params[1]).toBe(now + definition.outreach.expiry.ms);
  });
});

describe('the timer scheduler', () => {
  it('fires every due timer of a pass and counts only those it fired', async () => {
    const firedIds: string[] = [];
    const timers = {
      due: () =>
        Promise.resolve([
          { timer_id: 'a', case_id: 'c1' },
          { timer_id: 'b', case_id: 'c2' },
          { timer_id: 'c', case_id: 'c3' },
        ]),
      // 'b' was taken by another replica in the meantime.
      fire: (id: string) => (firedIds.push(id), Promise.resolve(id !== 'b')),
    } as unknown as FireTimerUseCase;
    const scheduler = new TimerScheduler(timers, { pollMs: 10, batch: 100 });
    expect(await scheduler.tick()).toBe(2);
    expect(firedIds).toEqual(['a', 'b', 'c']);
  });

  it('stops between timers once the service is shutting down, leaving the rest due', async () => {
    const firedIds: string[] = [];
    const timers = {
      due: () =>
        Promise.resolve([
          { timer_id: 'a', case_id: 'c1' },
          { timer_id: 'b', case_id: 'c2' },
        ]),
      fire: async (id: string) => {
        firedIds.push(id);
        await scheduler.onModuleDestroy();
        return true;
      },
    } as unknown as FireTimerUseCase;
    const scheduler = new TimerScheduler(timers, { pollMs: 10, batch: 100 });
    expect(await scheduler.tick()).toBe(1);
    expect(firedIds).toEqual(['a']);
  });
});
