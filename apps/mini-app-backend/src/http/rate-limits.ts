/**
 * Request rate limits per IP address, per link and per customer (rate-limiter-flexible, in memory: each replica
 * counts its own requests, so a deployment of N replicas allows up to N times the figure; the limits that matter for
 * security — five tries per check, five codes per session — are kept in the database and hold across replicas).
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export type LimitScope = 'ip' | 'link' | 'customer';

export class RateLimits {
  private readonly limiters: Record<LimitScope, RateLimiterMemory>;

  constructor(perMinute: Record<LimitScope, number>) {
    this.limiters = {
      ip: new RateLimiterMemory({ keyPrefix: 'ip', points: perMinute.ip, duration: 60 }),
      link: new RateLimiterMemory({ keyPrefix: 'link', points: perMinute.link, duration: 60 }),
      customer: new RateLimiterMemory({ keyPrefix: 'customer', points: perMinute.customer, duration: 60 }),
    };
  }

  /** Counts a request; undefined when allowed, else the seconds to wait (for Retry-After). */
  async consume(scope: LimitScope, key: string): Promise<number | undefined> {
    try {
      await this.limiters[scope].consume(key);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  }
}
