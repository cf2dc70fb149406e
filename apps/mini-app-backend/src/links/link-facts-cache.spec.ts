import { LinkFactsCache } from './link-facts-cache';

const facts = (n: number) => ({
  caseId: `case-${n}`,
  correlationId: `corr-${n}`,
  locale: 'en-GB',
  traceparent: `00-${String(n).padStart(32, '0')}-${'1'.repeat(16)}-01`,
  tracestate: null,
});

describe('LinkFactsCache', () => {
  it('gives a link its facts once, and none after the TTL', () => {
    let now = 1_000;
    const cache = new LinkFactsCache({ ttlMs: 100, maxEntries: 10 }, () => now);
    cache.remember('a', facts(1));
    cache.remember('b', facts(2));
    expect(cache.take('a')).toEqual(facts(1));
    expect(cache.take('a')).toBeUndefined();
    now += 100;
    expect(cache.take('b')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries links, dropping the oldest first', () => {
    const cache = new LinkFactsCache({ ttlMs: 60_000, maxEntries: 2 });
    cache.remember('a', facts(1));
    cache.remember('b', facts(2));
    cache.remember('a', facts(1)); // shown again: now the newest
    cache.remember('c', facts(3));
    expect(cache.size).toBe(2);
    expect(cache.take('b')).toBeUndefined();
    expect(cache.take('a')).toEqual(facts(1));
    expect(cache.take('c')).toEqual(facts(3));
  });

  it('keeps only the immutable facts, and nothing when turned off', () => {
    const cache = new LinkFactsCache({ ttlMs: 60_000, maxEntries: 2 });
    cache.remember('a', { ...facts(1), status: 'OPEN', expired: false } as ReturnType<typeof facts>);
    expect(cache.take('a')).toEqual(facts(1));
    const off = new LinkFactsCache({ ttlMs: 0, maxEntries: 2 });
    off.remember('a', facts(1));
    expect(off.take('a')).toBeUndefined();
  });
});
