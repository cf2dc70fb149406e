import { MessagingPolicyError } from '../errors';
import { checkFrequencyCap, validateFrequencyCaps } from './frequency-cap';

const DAY = 24 * 60 * 60 * 1000;
const now = Date.parse('2025-06-15T12:00:00Z');
const caps = [{ purpose: 'collections', max: 3, windowDays: 7 }];

describe('checkFrequencyCap', () => {
  it('allows while the window holds fewer than max attempts, and says how many are left', () => {
    expect(checkFrequencyCap({ now, purpose: 'collections', caps, priorAttempts: [] })).toEqual({
      kind: 'allowed',
      remaining: 2,
    });
    expect(
      checkFrequencyCap({ now, purpose: 'collections', caps, priorAttempts: [now - DAY, now - 2 * DAY] }),
    ).toEqual({
      kind: 'allowed',
      remaining: 0,
    });
  });

  it('suppresses at max, with the instant the oldest counted attempt leaves the window', () => {
    const prior = [now - 6 * DAY, now - 2 * DAY, now - DAY];
    expect(checkFrequencyCap({ now, purpose: 'collections', caps, priorAttempts: prior })).toEqual({
      kind: 'suppressed',
      reason: 'SUPPRESSED_FREQUENCY_CAP',
      nextAllowedAt: now + DAY,
      max: 3,
      windowDays: 7,
    });
  });

  it('counts only attempts inside the rolling window, in any order', () => {
    const prior = [now - DAY, now - 7 * DAY, now - 10 * DAY, now - 3 * DAY];
    expect(checkFrequencyCap({ now, purpose: 'collections', caps, priorAttempts: prior })).toEqual({
      kind: 'allowed',
      remaining: 0,
    });
  });

  it('when over the cap, waits until only max - 1 remain', () => {
    const prior = [now - 5 * DAY, now - 4 * DAY, now - 3 * DAY, now - 2 * DAY, now - DAY];
    expect(checkFrequencyCap({ now, purpose: 'collections', caps, priorAttempts: prior })).toMatchObject({
      nextAllowedAt: now + 4 * DAY,
    });
  });

  it('is allowed again exactly when the window has passed', () => {
    const prior = [now - 6 * DAY, now - 2 * DAY, now - DAY];
    const decision = checkFrequencyCap({ now, purpose: 'collections', caps, priorAttempts: prior });
    if (decision.kind !== 'suppressed') throw new Error('expected suppression');
    expect(
      checkFrequencyCap({ now: decision.nextAllowedAt, purpose: 'collections', caps, priorAttempts: prior })
        .kind,
    ).toBe('allowed');
    expect(
      checkFrequencyCap({
        now: decision.nextAllowedAt - 1,
        purpose: 'collections',
        caps,
        priorAttempts: prior,
      }).kind,
    ).toBe('suppressed');
  });

  it('leaves a purpose without a cap uncapped', () => {
    expect(
      checkFrequencyCap({ now, purpose: 'kyc-refresh', caps, priorAttempts: Array(50).fill(now) }),
    ).toEqual({ kind: 'allowed' });
  });

  it('counts attempts dated after now as now', () => {
    const prior = [now + DAY, now + DAY, now + DAY];
    expect(checkFrequencyCap({ now, purpose: 'collections', caps, priorAttempts: prior })).toMatchObject({
      kind: 'suppressed',
      nextAllowedAt: now + 7 * DAY,
    });
  });
});

describe('validateFrequencyCaps', () => {
  it('accepts a sound table', () => {
    expect(() =>
      validateFrequencyCaps([
        { purpose: 'collections', max: 7, windowDays: 7 },
        { purpose: 'kyc', max: 2, windowDays: 1 },
      ]),
    ).not.toThrow();
  });

  it.each([
    [[{ purpose: 'c', max: 0, windowDays: 7 }], 'frequencyCaps[0].max'],
    [[{ purpose: 'c', max: 1.5, windowDays: 7 }], 'frequencyCaps[0].max'],
    [[{ purpose: 'c', max: 1, windowDays: 0 }], 'frequencyCaps[0].windowDays'],
    [[{ purpose: 'c', max: 1, windowDays: 400 }], 'frequencyCaps[0].windowDays'],
    [[{ purpose: '', max: 1, windowDays: 1 }], 'frequencyCaps[0].purpose'],
    [
      [
        { purpose: 'c', max: 1, windowDays: 1 },
        { purpose: 'c', max: 2, windowDays: 1 },
      ],
      'frequencyCaps[1].purpose',
    ],
  ])('refuses %j naming %s', (table, field) => {
    expect(() => validateFrequencyCaps(table)).toThrow(
      expect.objectContaining({ code: 'INVALID_FREQUENCY_CAP', field }),
    );
    expect(() => validateFrequencyCaps(table)).toThrow(MessagingPolicyError);
  });
});
