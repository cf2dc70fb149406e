/** How a subscription retries a message in place (a subscription's own options win over the subscriber's). */
export interface RetryBackoffOptions {
  /** Delay before the first retry. */
  initialBackoffMs: number;
  /** Upper bound of any delay, however many attempts have failed. */
  maxBackoffMs: number;
  /**
   * Tries of a message whose handler keeps failing with an error that is neither transient nor poison (a constraint,
   * an encoding error, a TypeError) before it is dead-lettered as `exhausted` and the partition moves on. Transient
   * failures (a dependency unavailable) do not count: they are retried without limit.
   */
  maxAttempts: number;
  /**
   * A partition whose head message has been failing (or stuck in its handler) for this long is reported stuck:
   * readiness turns red and closeout_kafka_consumer_stuck_partitions counts it, until the partition moves.
   */
  stuckAfterMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoffOptions = {
  initialBackoffMs: 200,
  maxBackoffMs: 30_000,
  maxAttempts: 5,
  stuckAfterMs: 60_000,
};

/**
 * Delay before retrying a message whose handler failed `failedAttempts` times (1 after the first
 * failure): exponential, capped, with "equal jitter" (half fixed, half random) so replicas that failed
 * together on the same dependency do not retry in lockstep, yet the delay never collapses to zero.
 */
export function retryDelayMs(
  failedAttempts: number,
  options: Pick<RetryBackoffOptions, 'initialBackoffMs' | 'maxBackoffMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // 2 ** 30 is far beyond any sane cap; clamping the exponent avoids Infinity for long outages.
  const ceiling = Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.min(exponent, 30));
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}
