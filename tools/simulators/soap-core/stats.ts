/**
 * TEST DOUBLE — part of the simulated SOAP core banking system (tools/simulators/soap-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * What a checker asks of the core after a run: how calls ended, whether anything posted twice, and whether the
 * client behaved (no re-send of a request the core rejected as invalid, no retry before the RetryAfterSeconds it
 * was given).
 */
import { FAULT_MODES, type FaultMode } from './faults';

export const CALL_OUTCOMES = [
  /** A write committed a new posting and was answered. */
  'posted',
  /** A write answered with the original posting of its IdempotencyKey; nothing new was posted. */
  'replayed',
  /** A write committed, but its answer was a CB-9001, late, or never came (post-commit faults). */
  'posted_unanswered',
  'invalid_request',
  'account_closed',
  'idempotency_conflict',
  'throttled',
  'host_unavailable',
  'query_found',
  'query_not_found',
  /** A ListTransactions report was answered (a read: nothing posted). */
  'list_answered',
  /** A write refused with Status REJECTED inside a WriteResult: nothing posted. */
  'rejected_in_result',
] as const;

export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export interface RetryAfterViolation {
  idempotencyKey: string;
  arrivedAt: string;
  notBefore: string;
  earlyByMs: number;
}

export interface SoapCoreStats {
  calls: number;
  callsByOutcome: Record<CallOutcome, number>;
  postings: number;
  postingsWithoutIdempotencyKey: number;
  /** Postings beyond the first per idempotency key: 0 unless something bypassed the core's deduplication. */
  duplicatePostings: { total: number; byIdempotencyKey: Record<string, number> };
  /** Writes carrying a key the core had already rejected (CB-1001/CB-1002): a client that retries validation failures. */
  invalidThenRetried: { total: number; byIdempotencyKey: Record<string, number> };
  /** Writes for a key that arrived before the RetryAfterSeconds the core gave that key had passed. */
  retryAfterViolations: { total: number; events: RetryAfterViolation[] };
  faultsInjected: Record<FaultMode, number>;
}

export class StatsRecorder {
  private calls = 0;
  private readonly outcomes = Object.fromEntries(CALL_OUTCOMES.map((o) => [o, 0])) as Record<
    CallOutcome,
    number
  >;
  private readonly faults: Partial<Record<FaultMode, number>> = {};
  private readonly postingsByKey = new Map<string, number>();
  private postingsWithoutKey = 0;
  private readonly rejectedKeys = new Set<string>();
  private readonly invalidThenRetried = new Map<string, number>();
  private readonly notBefore = new Map<string, number>();
  private readonly violations: RetryAfterViolation[] = [];

  /** Called when any call arrives. */
  called(): void {
    this.calls += 1;
  }

  /** Called when a write arrives, before anything is decided about it. */
  writeArrived(idempotencyKey: string | null, now: number): void {
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

  outcome(outcome: CallOutcome): void {
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

  snapshot(): SoapCoreStats {
    const duplicates = Object.fromEntries(
      [...this.postingsByKey].filter(([, n]) => n > 1).map(([key, n]) => [key, n - 1]),
    );
    const postings = [...this.postingsByKey.values()].reduce((a, b) => a + b, 0) + this.postingsWithoutKey;
    return {
      calls: this.calls,
      callsByOutcome: { ...this.outcomes },
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
