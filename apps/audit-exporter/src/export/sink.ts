import { retryDelayMs } from '@closeout/kafka';
import type { SinkName } from './export.repository';
import type { ExportMetrics, FailureReason } from './export.metrics';

/** One SIEM sink: `step` does one round of work and says how long to wait before the next. */
export interface Sink {
  readonly name: SinkName;
  step(): Promise<number>;
  close(): Promise<void>;
}

export interface SinkLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Consecutive failures of one sink → the wait before its next try: the repo's capped exponential backoff with equal
 * jitter (`retryDelayMs` of @closeout/kafka, the one the consumers use), or the collector's Retry-After when longer.
 * A refusal that needs an operator (a bad token, an untrusted certificate) turns the sink unhealthy and waits the cap.
 */
export class SinkHealth {
  private failures = 0;
  private unhealthy = false;

  constructor(
    private readonly sink: SinkName,
    private readonly metrics: ExportMetrics,
    private readonly log: SinkLog,
    private readonly maxBackoffMs: number,
  ) {}

  ok(): void {
    this.failures = 0;
    if (this.unhealthy) {
      this.unhealthy = false;
      this.log.info({ sink: this.sink }, 'audit export sink healthy again');
    }
    this.metrics.healthy.set({ sink: this.sink }, 1);
  }

  /** Counts the failure and returns the wait before the next try. */
  failed(reason: FailureReason, detail: string, retryAfterMs = 0): number {
    this.failures += 1;
    this.metrics.failed.inc({ sink: this.sink, reason });
    const needsOperator = reason === 'unauthorized' || reason === 'tls';
    if (needsOperator) {
      this.metrics.healthy.set({ sink: this.sink }, 0);
      if (!this.unhealthy)
        this.log.error(
          { sink: this.sink, reason, detail },
          'audit export sink refused: needs an operator; position kept',
        );
      this.unhealthy = true;
      return this.maxBackoffMs;
    }
    if (this.failures === 1 || this.failures % 20 === 0) {
      this.log.warn(
        { sink: this.sink, reason, detail, failures: this.failures },
        'audit export sink failed; backing off',
      );
    }
    const backoff = retryDelayMs(this.failures, { initialBackoffMs: 200, maxBackoffMs: this.maxBackoffMs });
    return Math.max(backoff, Math.min(retryAfterMs, this.maxBackoffMs));
  }
}
