import { retryDelayMs } from './retry-backoff';

describe('retry backoff', () => {
  const options = { initialBackoffMs: 100, maxBackoffMs: 1000 };

  it('doubles per failed attempt within the jitter band [ceiling/2, ceiling]', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(n, options, () => 0))).toEqual([50, 100, 200]);
    expect([1, 2, 3].map((n) => retryDelayMs(n, options, () => 1))).toEqual([100, 200, 400]);
  });

  it('never exceeds the cap, even after a long outage', () => {
    expect(retryDelayMs(5, options, () => 1)).toBe(1000);
    expect(retryDelayMs(10_000, options, () => 1)).toBe(1000);
    expect(retryDelayMs(10_000, options, () => 0)).toBe(500);
  });
});
