import { Topics } from '@closeout/contracts';
import { CaseSession } from '../cases/case-session';
import { caseRecord, ScriptedTx, seedDefinition } from '../test-support/scripted-tx';
import { requestOutreach, startOutreach } from './request-outreach';

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
  it('starts with attempt 1 on the first channel, a timer per reminder and the expiry, from the definition', async () => {
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
      ...definition.outreach.reminders.map((d, i) => ({
        timerId: `tmr_case-1_reminder_${i + 2}`,
        kind: 'REMINDER',
        dueAt: now + d.ms,
        payload: { attempt: i + 2 },
      })),
      {
        timerId: 'tmr_case-1_expiry_1',
        kind: 'EXPIRY',
        dueAt: now + definition.outreach.expiry.ms,
        payload: { firstAttempt: 1 },
      },
    ]);
    expect(record.outreachAttempts).toBe(1);
    expect(s.dirty).toBe(true);
  });

  it('a restart after a hand-back carries on from the attempts made, with timer ids of their own', async () => {
    const { saved: s } = await saved(caseRecord({ outreachAttempts: 3 }), (session) =>
      startOutreach(session, now),
    );
    expect(s.messages.find((m) => m.topic === Topics.outreachRequested)!.value['attempt']).toBe(4);
    expect(s.timers.map((t) => t.timerId)).toEqual([
      ...definition.outreach.reminders.map((_, i) => `tmr_case-1_reminder_${i + 5}`),
      'tmr_case-1_expiry_4',
    ]);
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
