/**
 * TEST DOUBLE — part of the simulated REST core banking system (tools/simulators/rest-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * What a checker asks of the core after a run: how requests ended, whether anything posted twice, and whether the
 * client behaved (no re-send of a payload the core called invalid, no retry before the Retry-After it was given).
 */
import { FAULT_MODES, type FaultMode } from './faults';

export const WRITE_OUTCOMES = [
  'created',
  'replayed',
  'idempotency_key_reused',
  'invalid_json',
  'validation_failed',
  'unsupported_api_version',
  'unsupported_media_type',
  'invalid_idempotency_key',
  'rate_limited',
  'error_5xx',
  'connection_reset',
  'fail_all',
  'in_progress',
  'rejected_in_2xx',
  'huge_error',
  'gateway_page',
] as const;

export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];

export interface RetryAfterViolation {
  idempotencyKey: string;
  arrivedAt: string;
  notBefore: string;
  earlyByMs: number;
}

export interface RestCoreStats {
  writes: number;
  writesByOutcome: Record<WriteOutcome, number>;
  postings: number;
  postingsWithoutIdempotencyKey: number;
  /** Postings beyond the first per idempotency key: should be 0 unless the core ignored keys and the client re-sent. */
  duplicatePostings: { total: number; byIdempotencyKey: Record<string, number> };
  /** Requests carrying a key that the core had already rejected as invalid (4xx): a client that retries validation failures. */
  invalidThenRetried: { total: number; byIdempotencyKey: Record<string, number> };
  /** Requests for a key that arrived before the Retry-After the core gave that key had passed. */
  retryAfterViolations: { total: number; events: RetryAfterViolation[] };
  faultsInjected: Record<FaultMode, number>;
}

export class StatsRecorder {
  private writes = 0;
  private readonly outcomes = Object.fromEntries(WRITE_OUTCOMES.map((o) => [o, 0])) as Record<
    WriteOutcome,
    number
  >;
  private readonly faults: Partial<Record<FaultMode, number>> = {};
  private readonly postingsByKey = new Map<string, number>();
  private postingsWithoutKey = 0;
  private readonly rejectedKeys = new Set<string>();
  private readonly invalidThenRetried = new Map<string, number>();
  private readonly notBefore = new Map<string, number>();
  private readonly violations: RetryAfterViolation[] = [];

  /** Called when a write arrives, before anything is decided about it. */
  arrived(idempotencyKey: string | null, now: number): void {
    this.writes += 1;
    if (idempotencyKey === null) return;
    if (this.rejectedKeys.has(idempotencyKey)) {
      this.invalidThenRetried.set(idempotencyKey, (this.invalidThenRetried.get(idempotencyKey) ?? 0) + 1);
    }
    const notBefore = this.notBefore.get(idempotencyKey);
    if (notBefore !== undefined && now < notBefore) {
      this.violations.push({
        idempotencyKey,
        arrivedAt: new Date(now).toISOString(),
        notBefore: new Date(notBefore).toISOString(),
        earlyByMs: notBefore - now,
      });
    }
  }

  outcome(outcome: WriteOutcome): void {
    this.outcomes[outcome] += 1;
  }

  fault(mode: FaultMode): void {
    this.faults[mode] = (this.faults[mode] ?? 0) + 1;
  }

  rejectedAsInvalid(idempotencyKey: string | null): void {
    if (idempotencyKey !== null) this.rejectedKeys.add(idempotencyKey);
  }

  toldToWait(idempotencyKey: string | null, until: number): void {
    if (idempotencyKey !== null) this.notBefore.set(idempotencyKey, until);
  }

  posted(idempotencyKey: string | null): void {
    if (idempotencyKey === null) this.postingsWithoutKey += 1;
    else this.postingsByKey.set(idempotencyKey, (this.postingsByKey.get(idempotencyKey) ?? 0) + 1);
  }

  snapshot(): RestCoreStats {
    const duplicates = Object.fromEntries(
      [...this.postingsByKey].filter(([, n]) => n > 1).map(([key, n]) => [key, n - 1]),
    );
    const postings = [...this.postingsByKey.values()].reduce((a, b) => a + b, 0) + this.postingsWithoutKey;
    return {
      writes: this.writes,
      writesByOutcome: { ...this.outcomes },
      postings,
      postingsWithoutIdempotencyKey: this.postingsWithoutKey,
      duplicatePostings: {
        total: Object.values(duplicates).reduce((a, b) => a + b, 0),
        byIdempotencyKey: duplicates,
      },
      invalidThenRetried: {
        total: [...this.invalidThenRetried.values()].reduce((a, b) => a + b, 0),
        byIdempotencyKey: Object.fromEntries(this.invalidThenRetried),
      },
      retryAfterViolations: { total: this.violations.length, events: [...this.violations] },
      faultsInjected: Object.fromEntries(FAULT_MODES.map((m) => [m, this.faults[m] ?? 0])) as Record<
        FaultMode,
        number
      >,
    };
  }
}
