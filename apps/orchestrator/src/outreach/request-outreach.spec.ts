import { Topics } from '@closeout/contracts';
import { CaseSession } from '../cases/case-session';
import { caseRecord, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { requestOutreach, scheduleNextReminder, startOutreach } from './request-outreach';

const definition = seedDefinition('kyc-refresh');
const cause = { id: 'evt-1', actor: { type: 'SERVICE' as const, id: 'orchestrator' } };
const now = 1_735_700_000_000;

async function saved(record = caseRecord(), act: (s: CaseSession) => void) {
  const tx = new ScriptedTx();
  const session = new CaseSession(tx.manager, record, definition, cause);
  act(session);
  await session.save();
  return { record, saved: tx.saved() };
}

describe('outreach cadence', () => {
  it('starts a round with attempt 1 on the first channel and the expiry timer; no reminder before a receipt', async () => {
    const { saved: s, record } = await saved(caseRecord({ outreachAttempts: 0 }), (session) =>
      startOutreach(session, now),
    );
    const [request] = s.messages.filter((m) => m.topic === Topics.outreachRequested);
    expect(request!.value).toMatchObject({
      outreachId: 'out_case-1_1',
      idempotencyKey: 'out_case-1_1',
      attempt: 1,
      channel: definition.outreach.channels[0],
      linkExpiresAt: record.openedAt.getTime() + definition.outreach.expiry.ms,
    });
    expect(s.timers).toEqual([
      {
        timerId: 'tmr_case-1_expiry_1',
        kind: 'EXPIRY',
        dueAt: now + definition.outreach.expiry.ms,
        payload: { firstAttempt: 1 },
      },
    ]);
    expect(s.progress).toEqual({
      round: { first: 1, last: 1 + definition.outreach.reminders.length, startedAt: now },
      attempts: { '1': { channel: definition.outreach.channels[0], requestedAt: now, status: 'REQUESTED' } },
    });
    expect(record.outreachAttempts).toBe(1);
    expect(s.dirty).toBe(true);
  });

  it('a restart after a hand-back is a new round from the attempts made, with timer ids of its own', async () => {
    const { saved: s } = await saved(caseRecord({ outreachAttempts: 3 }), (session) =>
      startOutreach(session, now),
    );
    expect(s.messages.find((m) => m.topic === Topics.outreachRequested)!.value['attempt']).toBe(4);
    expect(s.timers.map((t) => t.timerId)).toEqual(['tmr_case-1_expiry_4']);
    expect(s.progress.round).toEqual({
      first: 4,
      last: 4 + definition.outreach.reminders.length,
      startedAt: now,
    });
  });

  it('the reminder for the next attempt is due the gap between consecutive reminders after an attempt was made', async () => {
    const [r1, r2] = definition.outreach.reminders; // kyc-refresh: P3D, P10D
    const round = { first: 1, last: 3, startedAt: now };
    const record = caseRecord({ outreachAttempts: 2, outreachProgress: { round } });
    const madeAt = now + 5 * 86_400_000;
    const due: (number | undefined)[] = [];
    const { saved: s } = await saved(record, (session) => {
      due.push(scheduleNextReminder(session, 1, now));
      due.push(scheduleNextReminder(session, 2, madeAt));
      // The round's last attempt has no reminder after it: the expiry takes over.
      due.push(scheduleNextReminder(session, 3, madeAt));
    });
    expect(due).toEqual([now + r1!.ms, madeAt + (r2!.ms - r1!.ms), undefined]);
    expect(s.timers).toEqual([
      {
        timerId: 'tmr_case-1_reminder_2',
        kind: 'REMINDER',
        dueAt: due[0],
        payload: { attempt: 2 },
        earliest: true,
      },
      {
        timerId: 'tmr_case-1_reminder_3',
        kind: 'REMINDER',
        dueAt: due[1],
        payload: { attempt: 3 },
        earliest: true,
      },
    ]);
  });

  it('scheduling the same reminder twice in a session keeps the sooner due time', async () => {
    const { saved: s } = await saved(caseRecord(), (session) => {
      scheduleNextReminder(session, 1, now + 1_000);
      scheduleNextReminder(session, 1, now);
      scheduleNextReminder(session, 1, now + 2_000);
    });
    expect(s.timers).toHaveLength(1);
    expect(s.timers[0]!.dueAt).toBe(now + definition.outreach.reminders[0]!.ms);
  });

  it('wraps round the channel order and never lowers the attempt count', async () => {
    const channels = definition.outreach.channels;
    const { saved: s, record } = await saved(caseRecord({ outreachAttempts: 5 }), (session) =>
      requestOutreach(session, channels.length + 1, now),
    );
    expect(s.messages[0]!.value['channel']).toBe(channels[0]);
    expect(record.outreachAttempts).toBe(5);
    expect(s.timeline[0]).toMatchObject({ kind: 'outreach.requested', ruleId: 'kyc-refresh@v1/outreach' });
  });
});
