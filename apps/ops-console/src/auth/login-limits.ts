/**
 * Sign-in rate limits (rate-limiter-flexible, in memory): attempts per client IP per minute, and failed attempts per
 * operator id per 15 minutes (a success clears them), so neither one address nor a spread of addresses can guess a
 * password quickly.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export class LoginLimits {
  private readonly perIp: RateLimiterMemory;
  private readonly failures: RateLimiterMemory;

  constructor(limits: { perIpPerMinute: number; failuresPerOperator: number }) {
    this.perIp = new RateLimiterMemory({ keyPrefix: 'ip', points: limits.perIpPerMinute, duration: 60 });
    this.failures = new RateLimiterMemory({
      keyPrefix: 'op',
      points: limits.failuresPerOperator,
      duration: 900,
    });
  }

  /** Counts an attempt from `ip`; the seconds to wait when over the limit, else undefined. */
  async attempt(ip: string): Promise<number | undefined> {
    return wait(() => this.perIp.consume(ip));
  }

  /** Seconds the operator id must wait because of earlier failures, else undefined (counts nothing). */
  async blocked(operatorId: string): Promise<number | undefined> {
    const res = await this.failures.get(operatorId);
    return res && res.remainingPoints <= 0 ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : undefined;
  }

  async failed(operatorId: string): Promise<void> {
    await wait(() => this.failures.consume(operatorId));
  }

  async succeeded(operatorId: string): Promise<void> {
    await this.failures.delete(operatorId);
  }
}

async function wait(consume: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await consume();
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw rejection;
  }
}
