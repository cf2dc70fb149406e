import {
  afterLookup,
  afterSend,
  ALLOWED_MOVES,
  fromStatesFor,
  SEND_STATUSES,
  type OutcomePolicy,
} from './send-status';

const policy: OutcomePolicy = {
  maxSendAttempts: 3,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  lookupDelayMs: 5_000,
  lookupVisibilityMs: 60_000,
  unknownMaxMs: 900_000,
};
const now = 1_800_000_000_000;

describe('send ledger moves', () => {
  it('settled rows move no further except a SENT row to its delivery report (a failure may fall back)', () => {
    expect(ALLOWED_MOVES.SUPPRESSED).toEqual([]);
    expect(ALLOWED_MOVES.FAILED).toEqual([]);
    expect(ALLOWED_MOVES.DELIVERED).toEqual([]);
    expect(ALLOWED_MOVES.SENT).toEqual(['DELIVERED', 'FAILED', 'RECEIVED']);
  });

  it('only a row being sent or whose outcome is open can become SENT', () => {
    expect(fromStatesFor('SENT').sort()).toEqual(['SENDING', 'UNKNOWN']);
  });

  it('nothing goes back to SENDING but a row to decide (never an UNKNOWN one: that is asked, not resent)', () => {
    expect(fromStatesFor('SENDING').sort()).toEqual(['DEFERRED', 'RECEIVED', 'RETRY_WAIT']);
    expect(fromStatesFor('SENDING')).not.toContain('UNKNOWN');
  });

  it('every status names only known statuses', () => {
    for (const from of SEND_STATUSES)
      for (const to of ALLOWED_MOVES[from]) expect(SEND_STATUSES).toContain(to);
  });
});

describe('afterSend', () => {
  const context = { now, sendAttempts: 1, policy, random: () => 0.5 };

  it('accepted → SENT with the provider reference', () => {
    expect(afterSend({ kind: 'accepted', providerRef: 'SM123' }, context)).toEqual({
      status: 'SENT',
      providerRef: 'SM123',
    });
  });

  it('a permanent refusal fails the channel', () => {
    expect(afterSend({ kind: 'rejected', permanent: true, reason: 'twilio 21610' }, context)).toEqual({
      status: 'FAILED',
      reason: 'twilio 21610',
      channelFailed: true,
    });
  });

  it('a transient refusal waits with backoff, and never less than the provider asked', () => {
    const backoff = afterSend({ kind: 'rejected', permanent: false, reason: '451' }, context);
    expect(backoff).toMatchObject({ status: 'RETRY_WAIT' });
    // Equal jitter: between half and all of base · 2^(n-1).
    const waited = (backoff as { nextDueAt: number }).nextDueAt - now;
    expect(waited).toBeGreaterThanOrEqual(500);
    expect(waited).toBeLessThanOrEqual(1_000);
    const asked = afterSend(
      { kind: 'rejected', permanent: false, reason: '429', retryAfterMs: 30_000 },
      context,
    );
    expect(asked).toMatchObject({ status: 'RETRY_WAIT', nextDueAt: now + 30_000 });
  });

  it('the backoff grows with the sends and stops at the cap', () => {
    const wait = (sendAttempts: number) =>
      (
        afterSend(
          { kind: 'rejected', permanent: false, reason: '451' },
          { now, sendAttempts, policy: { ...policy, maxSendAttempts: 99 }, random: () => 1 },
        ) as { nextDueAt: number }
      ).nextDueAt - now;
    expect(wait(1)).toBe(1_000);
    expect(wait(3)).toBe(4_000);
    expect(wait(20)).toBe(60_000);
  });

  it('a transient refusal on the last allowed send fails the channel', () => {
    expect(
      afterSend({ kind: 'rejected', permanent: false, reason: '451' }, { ...context, sendAttempts: 3 }),
    ).toEqual({ status: 'FAILED', reason: 'gave up after 3 sends: 451', channelFailed: true });
  });

  it('an unknown outcome is asked about later, not sent again', () => {
    expect(afterSend({ kind: 'unknown', reason: 'timeout' }, context)).toEqual({
      status: 'UNKNOWN',
      nextDueAt: now + 5_000,
      reason: 'timeout',
    });
  });
});

describe('afterLookup', () => {
  const status = (state: 'QUEUED' | 'SENT' | 'DELIVERED' | 'READ' | 'FAILED' | 'UNDELIVERED') => ({
    kind: 'found' as const,
    status: { providerRef: 'SM9', state, at: now, ...(state === 'FAILED' ? { errorCode: '30008' } : {}) },
  });
  const context = { now, sendingSince: now - 1_000, policy };

  it('found: queued or sent → SENT, delivered or read → DELIVERED, failed → the channel failed', () => {
    expect(afterLookup(status('QUEUED'), context)).toMatchObject({ status: 'SENT', providerRef: 'SM9' });
    expect(afterLookup(status('SENT'), context)).toMatchObject({ status: 'SENT' });
    expect(afterLookup(status('DELIVERED'), context)).toMatchObject({
      status: 'DELIVERED',
      providerRef: 'SM9',
    });
    expect(afterLookup(status('READ'), context)).toMatchObject({ status: 'DELIVERED' });
    expect(afterLookup(status('FAILED'), context)).toEqual({
      status: 'FAILED',
      providerRef: 'SM9',
      channelFailed: true,
      reason: 'provider reports FAILED (30008)',
    });
  });

  it('not found within the visibility bound is still unknown, asked again at the bound', () => {
    expect(afterLookup({ kind: 'not-found' }, context)).toEqual({
      status: 'UNKNOWN',
      nextDueAt: now - 1_000 + 60_000,
      reason: 'not found yet, within the visibility bound',
    });
  });

  it('not found past the bound → safe to send again', () => {
    expect(afterLookup({ kind: 'not-found' }, { ...context, sendingSince: now - 60_000 })).toMatchObject({
      status: 'RECEIVED',
      nextDueAt: now,
    });
  });

  it('inconclusive → asked again later', () => {
    expect(afterLookup({ kind: 'inconclusive', reason: 'SMTP has no lookup' }, context)).toEqual({
      status: 'UNKNOWN',
      nextDueAt: now + 5_000,
      reason: 'SMTP has no lookup',
    });
  });

  it('inconclusive near the unknown bound → asked again at the bound, not after it', () => {
    const sendingSince = now - 900_000 + 2_000;
    expect(
      afterLookup({ kind: 'inconclusive', reason: 'SMTP has no lookup' }, { ...context, sendingSince }),
    ).toEqual({
      status: 'UNKNOWN',
      nextDueAt: sendingSince + 900_000,
      reason: 'SMTP has no lookup',
    });
  });

  it('still inconclusive at the bound → the channel failed with OUTCOME_UNKNOWN, never sent again on it', () => {
    const next = afterLookup(
      { kind: 'inconclusive', reason: 'SMTP has no lookup' },
      { ...context, sendingSince: now - 900_000 },
    );
    expect(next).toMatchObject({ status: 'FAILED', reason: 'OUTCOME_UNKNOWN', channelFailed: true });
    expect(next.status === 'FAILED' && next.detail).toMatch(
      /^never confirmed: the outcome was still unknown 900 s/,
    );
  });

  it('a lookup that answers is taken even past the bound', () => {
    expect(afterLookup(status('DELIVERED'), { ...context, sendingSince: now - 3_600_000 })).toMatchObject({
      status: 'DELIVERED',
    });
  });
});
