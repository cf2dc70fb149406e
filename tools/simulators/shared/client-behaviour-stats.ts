/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * What every simulated core counts for a checker after a run: answers by outcome, postings per idempotency key
 * (anything beyond the first is a duplicate), writes under a key the core had already rejected as invalid (a client
 * that retries validation failures), writes that came before the retry delay the core gave their key, and faults
 * injected by mode. Each core names its own outcomes and fault modes and when each is counted.
 */

export interface RetryAfterViolation {
  idempotencyKey: string;
  arrivedAt: string;
  notBefore: string;
  earlyByMs: number;
}

/** The part of a core's stats that reads the same in every core. */
export interface ClientBehaviourSnapshot<F extends string> {
  postings: number;
  postingsWithoutIdempotencyKey: number;
  /** Postings beyond the first per idempotency key: 0 unless something bypassed the core's deduplication. */
  duplicatePostings: { total: number; byIdempotencyKey: Record<string, number> };
  /** Writes carrying a key the core had already rejected as invalid: a client that retries validation failures. */
  invalidThenRetried: { total: number; byIdempotencyKey: Record<string, number> };
  /** Writes for a key that arrived before the retry delay the core gave that key had passed. */
  retryAfterViolations: { total: number; events: RetryAfterViolation[] };
  faultsInjected: Record<F, number>;
}

const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);

export class ClientBehaviourStats<O extends string, F extends string> {
  private readonly outcomes: Record<O, number>;
  private readonly faults: Partial<Record<F, number>> = {};
  private readonly postingsByKey = new Map<string, number>();
  private postingsWithoutKey = 0;
  private readonly rejectedKeys = new Set<string>();
  private readonly invalidThenRetried = new Map<string, number>();
  private readonly notBefore = new Map<string, number>();
  private readonly violations: RetryAfterViolation[] = [];

  constructor(
    outcomes: readonly O[],
    private readonly faultModes: readonly F[],
  ) {
    this.outcomes = Object.fromEntries(outcomes.map((o) => [o, 0])) as Record<O, number>;
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

  outcome(outcome: O): void {
    this.outcomes[outcome] += 1;
  }

  fault(mode: F): void {
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

  /** A copy of the counts by outcome. */
  outcomeCounts(): Record<O, number> {
    return { ...this.outcomes };
  }

  snapshot(): ClientBehaviourSnapshot<F> {
    const duplicates = Object.fromEntries(
      [...this.postingsByKey].filter(([, n]) => n > 1).map(([key, n]) => [key, n - 1]),
    );
    return {
      postings: sum(this.postingsByKey.values()) + this.postingsWithoutKey,
      postingsWithoutIdempotencyKey: this.postingsWithoutKey,
      duplicatePostings: { total: sum(Object.values(duplicates)), byIdempotencyKey: duplicates },
      invalidThenRetried: {
        total: sum(this.invalidThenRetried.values()),
        byIdempotencyKey: Object.fromEntries(this.invalidThenRetried),
      },
      retryAfterViolations: { total: this.violations.length, events: [...this.violations] },
      faultsInjected: Object.fromEntries(this.faultModes.map((m) => [m, this.faults[m] ?? 0])) as Record<
        F,
        number
      >,
    };
  }
}
