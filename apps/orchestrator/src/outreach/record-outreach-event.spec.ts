import type { DataSource } from 'typeorm';
import { Topics, type OutreachEvent } from '@closeout/contracts';
import { poisonReason } from '../cases/case-batch';
import { UnknownOutreachCaseError } from '../cases/case-errors';
import type { CaseRecord } from '../cases/case-record';
import { caseRow, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import type { WorkflowCatalog } from '../workflows/workflow-catalog';
import { RecordOutreachEventUseCase } from './record-outreach-event.use-case';

// kyc-refresh: channels EMAIL then SMS, reminders P3D and P10D (so three attempts a round), expiry P28D.
const definition = seedDefinition('kyc-refresh');
const catalog = { get: () => definition } as unknown as WorkflowCatalog;
const DAY = 86_400_000;
const STARTED = 1_736_000_000_000;
const NOW = STARTED + 2 * DAY;
const ROUND = { first: 1, last: 3, startedAt: STARTED };

/** A case whose latest attempt is `attempt`, requested and with no receipt yet, in its first round. */
function awaiting(attempt: number, over: Partial<CaseRecord> = {}): Partial<CaseRecord> {
  const attempts = Object.fromEntries(
    Array.from({ length: attempt }, (_, i) => [
      String(i + 1),
      {
        channel: definition.outreach.channels[i % 2]!,
        requestedAt: STARTED + i * DAY,
        status: i + 1 < attempt ? 'SENT' : 'REQUESTED',
        ...(i + 1 < attempt ? { reachedAt: STARTED + i * DAY } : {}),
      },
    ]),
  );
  return {
    state: 'OUTREACH',
    outreachAttempts: attempt,
    outreachProgress: { round: ROUND, attempts },
    ...over,
  } as Partial<CaseRecord>;
}

function receipt(over: Partial<OutreachEvent> & Pick<OutreachEvent, 'status'>): OutreachEvent {
  return {
    eventId: 'oev-1',
    occurredAt: NOW - 1_000,
    correlationId: 'corr-1',
    causationId: null,
    caseId: 'case-1',
    outreachId: 'out_case-1_1',
    channel: 'EMAIL',
    providerRef: null,
    reason: null,
    fallbackChannel: null,
    link: null,
    ...over,
  };
}

async function record(event: OutreachEvent, over: Partial<CaseRecord>, first = true) {
  const tx = new ScriptedTx([['WITH inbox AS', [{ ...caseRow(over), first: first ? 1 : 0 }]]]);
  const db = {
    transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
  } as unknown as DataSource;
  await new RecordOutreachEventUseCase(db, catalog).execute(event, NOW);
  return tx;
}

const requests = (tx: ScriptedTx) =>
  tx
    .saved()
    .messages.filter((m) => m.topic === Topics.outreachRequested)
    .map((m) => m.value);
const exceptionKind = (tx: ScriptedTx) => tx.matching('INSERT INTO exception_item')[0]?.params[2];

describe('a SENT or DELIVERED receipt: the reminder for the next attempt counts from it', () => {
  it('SENT for the latest attempt: the customer was reached, attempt 2 is due the first gap (P3D) after the send', async () => {
    const tx = await record(receipt({ status: 'SENT', providerRef: 'msg-1' }), awaiting(1));
    const saved = tx.saved();
    expect(saved.state).toBe('AWAITING_CUSTOMER');
    expect(saved.timers).toEqual([
      {
        timerId: 'tmr_case-1_reminder_2',
        kind: 'REMINDER',
        dueAt: NOW - 1_000 + 3 * DAY,
        payload: { attempt: 2 },
        earliest: true,
      },
    ]);
    expect(saved.progress.attempts?.['1']).toMatchObject({ status: 'SENT', reachedAt: NOW - 1_000 });
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'outreach.sent',
      'case.awaiting_customer',
      'outreach.reminder_scheduled',
    ]);
    expect(requests(tx)).toEqual([]);
  });

  it('the second attempt sent: the third is due the gap between the reminders (P10D − P3D = 7 days) after it', async () => {
    const tx = await record(
      receipt({ status: 'DELIVERED', outreachId: 'out_case-1_2', channel: 'SMS' }),
      awaiting(2, { state: 'AWAITING_CUSTOMER' }),
    );
    expect(tx.saved().timers).toEqual([
      expect.objectContaining({ timerId: 'tmr_case-1_reminder_3', dueAt: NOW - 1_000 + 7 * DAY }),
    ]);
  });

  it('DELIVERED after SENT schedules nothing more: the reminder keeps counting from the first receipt', async () => {
    const over = awaiting(1, { state: 'AWAITING_CUSTOMER' });
    over.outreachProgress!.attempts!['1'] = {
      channel: 'EMAIL',
      requestedAt: STARTED,
      status: 'SENT',
      reachedAt: STARTED + 1_000,
    };
    const tx = await record(receipt({ status: 'DELIVERED' }), over);
    const saved = tx.saved();
    expect(saved.timers).toEqual([]);
    expect(saved.progress.attempts?.['1']).toMatchObject({ status: 'DELIVERED', reachedAt: STARTED + 1_000 });
  });

  it('a receipt stamped ahead of our clock counts from now', async () => {
    const tx = await record(receipt({ status: 'SENT', occurredAt: NOW + 60_000 }), awaiting(1));
    expect(tx.saved().timers[0]!.dueAt).toBe(NOW + 3 * DAY);
  });

  it('the round’s last attempt sent: no reminder after it (the expiry timer takes over)', async () => {
    const tx = await record(receipt({ status: 'SENT', outreachId: 'out_case-1_3' }), awaiting(3));
    expect(tx.saved().timers).toEqual([]);
  });

  it('SENT for an earlier attempt (the case has moved on): noted, no reminder', async () => {
    const tx = await record(receipt({ status: 'SENT' }), awaiting(2, { state: 'AWAITING_CUSTOMER' }));
    expect(tx.saved().timers).toEqual([]);
    expect(tx.saved().timeline.map((e) => e.kind)).toEqual(['outreach.sent']);
  });

  it('a receipt for a case this orchestrator never opened is dead-lettered at once, not retried', async () => {
    const tx = new ScriptedTx([['WITH inbox AS', []]]);
    const db = {
      transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
    } as unknown as DataSource;
    const err = await new RecordOutreachEventUseCase(db, catalog)
      .execute(receipt({ status: 'SENT', caseId: 'case-elsewhere' }), NOW)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutreachCaseError);
    expect(poisonReason(err, 1)).toMatch(/caseId: no such case/);
  });

  it('a redelivered receipt (the inbox has it) changes nothing', async () => {
    const tx = await record(receipt({ status: 'SENT' }), awaiting(1), false);
    expect(tx.matching('WITH upd AS (')).toEqual([]);
  });
});

describe('a FAILED receipt moves the case on', () => {
  it('attempt 1 failed with attempts left: attempt 2 goes out now on the next channel, in the same transaction', async () => {
    const tx = await record(receipt({ status: 'FAILED', reason: 'mailbox does not exist' }), awaiting(1));
    const saved = tx.saved();
    expect(requests(tx)).toEqual([
      expect.objectContaining({ attempt: 2, channel: 'SMS', outreachId: 'out_case-1_2', occurredAt: NOW }),
    ]);
    expect(saved.state).toBe('OUTREACH');
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'outreach.failed',
      'outreach.next_attempt_early',
      'outreach.requested',
    ]);
    expect(saved.timeline[1]!.ruleId).toBe('kyc-refresh@v1/outreach/failed');
    expect(saved.progress.attempts).toMatchObject({
      '1': { status: 'FAILED', endedAt: NOW - 1_000, reason: 'mailbox does not exist' },
      '2': { status: 'REQUESTED', channel: 'SMS', requestedAt: NOW },
    });
    expect(exceptionKind(tx)).toBeUndefined();
  });

  it('a delivery report FAILED after SENT (a reminder already scheduled): the next attempt still goes out now', async () => {
    const over = awaiting(1, { state: 'AWAITING_CUSTOMER' });
    over.outreachProgress!.attempts!['1'] = {
      channel: 'EMAIL',
      requestedAt: STARTED,
      status: 'SENT',
      reachedAt: STARTED,
    };
    const tx = await record(receipt({ status: 'FAILED', reason: 'UNDELIVERED' }), over);
    expect(requests(tx)).toEqual([expect.objectContaining({ attempt: 2 })]);
  });

  it('the round’s last attempt failed: the case goes to the exception queue as UNREACHABLE, timers cancelled', async () => {
    const tx = await record(
      receipt({ status: 'FAILED', outreachId: 'out_case-1_3', reason: 'number not in service' }),
      awaiting(3, { state: 'AWAITING_CUSTOMER' }),
    );
    const saved = tx.saved();
    expect(saved.state).toBe('EXCEPTION');
    expect(saved.cancelled.sort()).toEqual(['EXPIRY', 'REMINDER']);
    expect(requests(tx)).toEqual([]);
    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params.slice(2, 5)).toEqual([
      'UNREACHABLE',
      definition.exceptions.UNREACHABLE!.queue,
      'normal',
    ]);
    expect(JSON.parse(insert.params[6] as string)).toMatchObject({
      messaging: { status: 'FAILED', reason: 'number not in service' },
      whatWasTried: { outreachAttempts: 3 },
    });
    expect(saved.timeline.find((e) => e.kind === 'case.exception')!.ruleId).toBe(
      'kyc-refresh@v1/outreach/failed',
    );
  });

  it('FAILED for an earlier attempt: noted on the attempt, nothing requested', async () => {
    const tx = await record(receipt({ status: 'FAILED' }), awaiting(2));
    expect(requests(tx)).toEqual([]);
    expect(tx.saved().progress.attempts?.['1']?.status).toBe('FAILED');
  });

  it('FAILED once the customer has acted: nothing but the note', async () => {
    const tx = await record(receipt({ status: 'FAILED' }), awaiting(1, { state: 'AWAITING_WRITEBACK' }));
    expect(requests(tx)).toEqual([]);
    expect(tx.saved().state).toBe('AWAITING_WRITEBACK');
  });
});

describe('a FAILED receipt that names a fallback channel: messaging is still sending the attempt', () => {
  const fellBack = (over: Partial<OutreachEvent> = {}) =>
    receipt({
      status: 'FAILED',
      reason: 'twilio reports undelivered (30003)',
      channel: 'SMS',
      fallbackChannel: 'EMAIL',
      ...over,
    });

  it('the latest attempt: noted on the timeline only — no next attempt, no exception, the attempt still under way', async () => {
    const tx = await record(fellBack(), awaiting(1));
    const saved = tx.saved();
    expect(requests(tx)).toEqual([]);
    expect(exceptionKind(tx)).toBeUndefined();
    expect(saved.state).toBe('OUTREACH');
    expect(saved.timers).toEqual([]);
    expect(saved.cancelled).toEqual([]);
    expect(saved.timeline).toEqual([
      expect.objectContaining({
        kind: 'outreach.channel_failed',
        detail: expect.objectContaining({
          attempt: 1,
          channel: 'SMS',
          status: 'FAILED',
          fallbackChannel: 'EMAIL',
          reason: 'twilio reports undelivered (30003)',
        }),
      }),
    ]);
    // Not FAILED: a reminder that fires meanwhile waits for the fallback's receipt instead of sending attempt 2.
    expect(saved.progress.attempts?.['1']).toMatchObject({ status: 'REQUESTED' });
    expect(saved.progress.attempts?.['2']).toBeUndefined();
  });

  it('the round’s last attempt: no UNREACHABLE, reminders and expiry left as they are', async () => {
    const tx = await record(
      fellBack({ outreachId: 'out_case-1_3' }),
      awaiting(3, { state: 'AWAITING_CUSTOMER' }),
    );
    const saved = tx.saved();
    expect(saved.state).toBe('AWAITING_CUSTOMER');
    expect(exceptionKind(tx)).toBeUndefined();
    expect(saved.cancelled).toEqual([]);
    expect(saved.timeline.map((e) => e.kind)).toEqual(['outreach.channel_failed']);
  });

  it('after the attempt was SENT (a delivery report fails it and messaging falls back): the sent record and its reminder stand', async () => {
    const over = awaiting(1, { state: 'AWAITING_CUSTOMER' });
    over.outreachProgress!.attempts!['1'] = {
      channel: 'SMS',
      requestedAt: STARTED,
      status: 'SENT',
      reachedAt: STARTED,
    };
    const tx = await record(fellBack(), over);
    const saved = tx.saved();
    expect(requests(tx)).toEqual([]);
    expect(saved.cancelled).toEqual([]);
    expect(saved.progress.attempts?.['1']).toMatchObject({ status: 'SENT', reachedAt: STARTED });
  });

  it('the fallback’s own final FAILED (no fallback channel left) then moves the case on as any FAILED does', async () => {
    const tx = await record(
      receipt({
        status: 'FAILED',
        channel: 'EMAIL',
        reason: 'mailbox does not exist',
        fallbackChannel: null,
        link: null,
      }),
      awaiting(1),
    );
    expect(requests(tx)).toEqual([expect.objectContaining({ attempt: 2, channel: 'SMS' })]);
    expect(tx.saved().progress.attempts?.['1']).toMatchObject({ status: 'FAILED' });
  });

  it('a receipt built without the field (absent, not null) is final, as before the field existed', async () => {
    const older: Partial<OutreachEvent> = receipt({ status: 'FAILED', reason: 'mailbox does not exist' });
    delete older.fallbackChannel;
    const tx = await record(older as OutreachEvent, awaiting(1));
    expect(requests(tx)).toEqual([expect.objectContaining({ attempt: 2 })]);
  });
});

describe('a SUPPRESSED receipt is not silence', () => {
  it('SUPPRESSED_OPTED_OUT: as an opt-out, outreach stops and an OPTED_OUT exception opens', async () => {
    const tx = await record(receipt({ status: 'SUPPRESSED', reason: 'SUPPRESSED_OPTED_OUT' }), awaiting(1));
    expect(tx.saved()).toMatchObject({ state: 'EXCEPTION' });
    expect(tx.saved().cancelled.sort()).toEqual(['EXPIRY', 'REMINDER']);
    expect(exceptionKind(tx)).toBe('OPTED_OUT');
  });

  it('SUPPRESSED_OPTED_OUT on an earlier attempt still ends outreach (it is the customer’s word)', async () => {
    const tx = await record(receipt({ status: 'SUPPRESSED', reason: 'SUPPRESSED_OPTED_OUT' }), awaiting(2));
    expect(exceptionKind(tx)).toBe('OPTED_OUT');
  });

  it.each([
    'SUPPRESSED_NO_CONSENT',
    'SUPPRESSED_NO_CONTACT_POINT',
    'SUPPRESSED_INVALID_CONTACT_POINT',
    'SUPPRESSED_NO_SAFE_SEND_TIME',
    'A_REASON_THIS_ENGINE_DOES_NOT_KNOW',
  ])(
    '%s: UNREACHABLE (an agent must get consent or a contact point), reminders cancelled',
    async (reason) => {
      const tx = await record(receipt({ status: 'SUPPRESSED', reason }), awaiting(1));
      const saved = tx.saved();
      expect(saved.state).toBe('EXCEPTION');
      expect(saved.cancelled.sort()).toEqual(['EXPIRY', 'REMINDER']);
      expect(exceptionKind(tx)).toBe('UNREACHABLE');
      expect(requests(tx)).toEqual([]);
      expect(saved.progress.attempts?.['1']).toMatchObject({ status: 'SUPPRESSED', reason });
      expect(saved.timeline.find((e) => e.kind === 'case.exception')!.ruleId).toBe(
        'kyc-refresh@v1/outreach/suppressed',
      );
    },
  );

  it('SUPPRESSED_FREQUENCY_CAP: counted as made and unanswered; the next reminder follows from it', async () => {
    const tx = await record(
      receipt({ status: 'SUPPRESSED', reason: 'SUPPRESSED_FREQUENCY_CAP' }),
      awaiting(1),
    );
    const saved = tx.saved();
    expect(saved.state).toBe('OUTREACH');
    expect(exceptionKind(tx)).toBeUndefined();
    expect(requests(tx)).toEqual([]);
    expect(saved.progress.attempts?.['1']).toMatchObject({ status: 'HELD', reachedAt: NOW - 1_000 });
    expect(saved.timers).toEqual([
      expect.objectContaining({ timerId: 'tmr_case-1_reminder_2', dueAt: NOW - 1_000 + 3 * DAY }),
    ]);
    expect(saved.timeline.map((e) => e.kind)).toEqual([
      'outreach.suppressed',
      'outreach.held',
      'outreach.reminder_scheduled',
    ]);
  });

  it.each(['SUPPRESSED_CHANNELS_EXHAUSTED', 'SUPPRESSED_TEMPLATE_REQUIRED'])(
    '%s: as a failed attempt, the next one goes out now on the next channel',
    async (reason) => {
      const tx = await record(receipt({ status: 'SUPPRESSED', reason }), awaiting(1));
      expect(requests(tx)).toEqual([expect.objectContaining({ attempt: 2, channel: 'SMS' })]);
      expect(exceptionKind(tx)).toBeUndefined();
    },
  );

  it('SUPPRESSED for no consent on an earlier attempt: noted, the later attempt decides', async () => {
    const tx = await record(receipt({ status: 'SUPPRESSED', reason: 'SUPPRESSED_NO_CONSENT' }), awaiting(2));
    expect(tx.saved().state).toBe('OUTREACH');
    expect(exceptionKind(tx)).toBeUndefined();
  });
});

describe('an UNREACHABLE exception on a definition that names no UNREACHABLE path', () => {
  it('goes to its EXPIRED queue and priority, with guidance of its own', async () => {
    const older = { ...definition.exceptions };
    delete older.UNREACHABLE;
    const oldDefinition = { ...definition, exceptions: older };
    const tx = new ScriptedTx([['WITH inbox AS', [{ ...caseRow(awaiting(1)), first: 1 }]]]);
    const db = {
      transaction: (work: (m: unknown) => Promise<unknown>) => work(tx.manager),
    } as unknown as DataSource;
    const oldCatalog = { get: () => oldDefinition } as unknown as WorkflowCatalog;
    await new RecordOutreachEventUseCase(db, oldCatalog).execute(
      receipt({ status: 'SUPPRESSED', reason: 'SUPPRESSED_NO_CONTACT_POINT' }),
      NOW,
    );
    const insert = tx.matching('INSERT INTO exception_item')[0]!;
    expect(insert.params.slice(2, 5)).toEqual(['UNREACHABLE', older.EXPIRED.queue, older.EXPIRED.priority]);
    expect(JSON.parse(insert.params[6] as string).guidance).toMatch(/Get consent or a working contact point/);
  });
});
