import { planAlerts, postedTwiceAlerts, reversalTotals, type OpenBreakFacts } from './alert-plan';

describe('postings to reverse', () => {
  const reverse = (...amounts: Array<[string, number | null, string | null]>) =>
    amounts.map(([providerRef, amountMinor, currency]) => ({ providerRef, amountMinor, currency, postedAt: '2025-01-01T00:00:00.000Z' }));
  const twice = (destination: string, key: string, context: Record<string, unknown>): OpenBreakFacts => ({
    kind: 'POSTED_TWICE',
    destination,
    idempotencyKey: key,
    context,
  });
  const open: OpenBreakFacts[] = [
    twice('core-a', 'k2', { reverse: reverse(['r1', 1000, 'GBP'], ['r2', 250, 'GBP']) }),
    twice('core-a', 'k1', { reverse: reverse(['r3', 700, 'EUR'], ['r4', null, null]) }),
    twice('core-b', 'k3', { reverse: reverse(['r5', 50, 'GBP']) }),
    // Other kinds and unreadable contexts never count as money to return.
    { kind: 'SHARED_PROVIDER_REF', destination: 'core-c', idempotencyKey: 'k4', context: { reverse: reverse(['r6', 1, 'GBP']) } },
    twice('core-a', 'k5', { reverse: [{ amountMinor: 5, currency: 'GBP' }, 'r7'] }),
  ];

  it('one alert per destination while a POSTED_TWICE break is open there, with the keys and the sums per currency', () => {
    const conditions = postedTwiceAlerts(open);
    expect(conditions.map((c) => c.key)).toEqual(['posted-twice:core-a', 'posted-twice:core-b']);
    expect(conditions[0]).toMatchObject({
      kind: 'POSTED_TWICE',
      context: {
        destination: 'core-a',
        breaks: 3,
        idempotencyKeys: ['k1', 'k2', 'k5'],
        toReverse: [
          { currency: null, amountMinor: 0, postings: 1 },
          { currency: 'EUR', amountMinor: 700, postings: 1 },
          { currency: 'GBP', amountMinor: 1250, postings: 2 },
        ],
      },
    });
    expect(conditions[0]!.context['reason']).toBe(
      '3 writeback(s) posted more than once on core-a: to reverse 1 posting(s) of unknown amount, 1 posting(s) totalling 700 minor units EUR, 2 posting(s) totalling 1250 minor units GBP',
    );
    expect(reversalTotals(open.filter((b) => b.destination === 'core-b'))).toEqual([{ currency: 'GBP', amountMinor: 50, postings: 1 }]);
  });

  it('raises once while the breaks stay open and clears when the last one resolves', () => {
    const first = planAlerts(new Set(), postedTwiceAlerts(open));
    expect(first.raise.map((c) => c.key)).toEqual(['posted-twice:core-a', 'posted-twice:core-b']);
    const raised = new Set(first.raise.map((c) => c.key));
    expect(planAlerts(raised, postedTwiceAlerts(open))).toEqual({ raise: [], clear: [] });
    const coreBReversed = open.filter((b) => b.destination !== 'core-b');
    expect(planAlerts(raised, postedTwiceAlerts(coreBReversed))).toEqual({ raise: [], clear: ['posted-twice:core-b'] });
  });
});

describe('planAlerts (the state machine)', () => {
  it('raises once, holds while the condition holds, and clears when it stops', () => {
    const condition = { key: 'unknown-age:b', kind: 'UNKNOWN_AGE' as const, context: {} };
    let open = new Set<string>();
    const first = planAlerts(open, [condition, condition]);
    expect(first).toEqual({ raise: [condition], clear: [] });
    open = new Set(['unknown-age:b']);
    expect(planAlerts(open, [condition])).toEqual({ raise: [], clear: [] });
    expect(planAlerts(open, [])).toEqual({ raise: [], clear: ['unknown-age:b'] });
  });
});
