import type { WritebackErrorClass } from '@closeout/contracts';
import { z } from 'zod';
import { assertUnreachable } from './assert-unreachable';
import type { WritebackError } from './errors';
import type { TransitionEvidence } from './status-machine';

/**
 * The one table that maps a classified failure to what happens next. No adapter or worker decides
 * retry-or-not on its own: they classify (errors/), this decides, the ledger records.
 */

export interface RetryPolicyConfig {
  /** Backoff base: the first retry waits up to this long. */
  baseDelayMs: number;
  /** Backoff cap: no computed backoff exceeds it (a destination's Retry-After may). */
  maxDelayMs: number;
  /** Attempts (sends) before a transient or rate-limited failure becomes permanent. */
  maxAttempts: number;
  /** How long rows wait when the breaker is open and did not say when it will probe again. */
  circuitOpenWaitMs: number;
  /** Delay before asking the destination about an ambiguous outcome: a slow core may still be committing. */
  unknownResolveDelayMs: number;
  /**
   * Whether the destination de-duplicates on our idempotency key. When it does not, a transient failure after the
   * request was sent (e.g. a 502 from a gateway) could have been applied, so it is resolved like an ambiguous one.
   * False unless a destination declares otherwise: trusting a core nobody described to de-duplicate risks a double post.
   */
  destinationHonoursIdempotencyKey: boolean;
  /**
   * The destination's read-visibility bound: how long after a send started its posting, if any, may still be missing
   * from the destination's lookup (its own processing time plus the lag of the replica or index the lookup reads).
   * A "not found" earlier than that is not final: the last send may yet appear.
   */
  lookupVisibilityMs: number;
  /**
   * Whether a success answer is believed only once the destination's own lookup names the same posting for our key.
   * For a core (or a proxy in front of it) whose answers have been seen to carry another request's reference: one
   * more call per write, and an answer that cannot be confirmed yet is an unknown outcome resolved by lookup.
   */
  confirmAnswersByLookup: boolean;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicyConfig> = Object.freeze({
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  maxAttempts: 8,
  circuitOpenWaitMs: 30_000,
  unknownResolveDelayMs: 5_000,
  destinationHonoursIdempotencyKey: false,
  lookupVisibilityMs: 10_000,
  confirmAnswersByLookup: false,
});

const retryPolicyConfigSchema = z
  .strictObject({
    baseDelayMs: z.int().min(1),
    maxDelayMs: z.int().min(1),
    maxAttempts: z.int().min(1),
    circuitOpenWaitMs: z.int().min(0),
    unknownResolveDelayMs: z.int().min(0),
    destinationHonoursIdempotencyKey: z.boolean(),
    lookupVisibilityMs: z.int().min(0),
    confirmAnswersByLookup: z.boolean(),
  })
  .refine((c) => c.maxDelayMs >= c.baseDelayMs, { path: ['maxDelayMs'], message: 'must be ≥ baseDelayMs' });

/** Per-destination overrides, keyed by destination name; unspecified fields take the defaults. */
export type RetryPolicyOverrides = Readonly<Record<string, Partial<RetryPolicyConfig>>>;

/** The effective policy of one destination. Throws naming the destination and field when an override is invalid. */
export function retryPolicyFor(destination: string, overrides: RetryPolicyOverrides = {}): RetryPolicyConfig {
  const parsed = retryPolicyConfigSchema.safeParse({ ...DEFAULT_RETRY_POLICY, ...overrides[destination] });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `retryPolicy.${destination}.${i.path.join('.')}: ${i.message}`,
    );
    throw new Error(`Invalid retry policy: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A uniform random number in [0, 1); injectable so tests can pin the jitter. */
export type RandomSource = () => number;

/**
 * Capped exponential backoff with full jitter: delay = random(0, min(cap, base · 2^retryIndex)).
 *
 * Hand-rolled on purpose: retries are scheduled by the ledger (we store `next_attempt_at` and a worker claims the
 * row when it is due), so we need a delay value, not a library that sleeps and re-invokes a function in-process.
 * `retryIndex` is 0 for the first retry, so the first wait is at most `base`.
 */
export function fullJitterDelayMs(
  retryIndex: number,
  policy: Pick<RetryPolicyConfig, 'baseDelayMs' | 'maxDelayMs'>,
  random: RandomSource = Math.random,
): number {
  // 2 ** large is Infinity, which Math.min turns into the cap: no overflow handling needed.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryIndex));
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}

export interface AttemptFailure {
  errorClass: WritebackErrorClass;
  /** 1-based number of the attempt (send) that just failed. */
  attempt: number;
  /** Whether the failed request may have reached the destination (see `WritebackError.sent`). */
  sent: boolean;
  /** The destination's Retry-After, in ms, when it gave one. */
  retryAfterMs?: number | undefined;
  /** Epoch ms. */
  now: number;
}

export type PermanentCause = 'validation' | 'conflict' | 'attempts_exhausted';

export type RetryDecision =
  /** Send again at `nextAttemptAt`. */
  | { kind: 'retry'; status: 'FAILED_RETRYABLE'; nextAttemptAt: number; delayMs: number; reason: string }
  /** Breaker open, nothing was sent: wait in the ledger; this does not count as an attempt. */
  | {
      kind: 'wait_for_breaker';
      status: 'FAILED_RETRYABLE';
      nextAttemptAt: number;
      delayMs: number;
      countsAsAttempt: false;
      destinationDegraded: true;
      reason: string;
    }
  /** Outcome unknown: ask the destination at `resolveAt` before any re-send. */
  | { kind: 'resolve_unknown'; status: 'UNKNOWN'; resolveAt: number; reason: string }
  /** Never retried: routed to correction (validation, conflict) or to operations (attempts exhausted). */
  | { kind: 'fail_permanently'; status: 'FAILED_PERMANENT'; cause: PermanentCause; reason: string };

function retryOrGiveUp(
  failure: AttemptFailure,
  policy: RetryPolicyConfig,
  delayMs: number,
  why: string,
): RetryDecision {
  if (failure.attempt >= policy.maxAttempts) {
    return {
      kind: 'fail_permanently',
      status: 'FAILED_PERMANENT',
      cause: 'attempts_exhausted',
      reason: `gave up after ${failure.attempt} attempts (max ${policy.maxAttempts}); last failure ${failure.errorClass}`,
    };
  }
  return {
    kind: 'retry',
    status: 'FAILED_RETRYABLE',
    nextAttemptAt: failure.now + delayMs,
    delayMs,
    reason: why,
  };
}

/** What to do after a failed attempt. One exhaustive switch over the error classes. */
export function decideAfterFailure(
  failure: AttemptFailure,
  policy: RetryPolicyConfig = DEFAULT_RETRY_POLICY,
  random: RandomSource = Math.random,
): RetryDecision {
  const backoff = (): number => fullJitterDelayMs(failure.attempt - 1, policy, random);
  switch (failure.errorClass) {
    case 'TRANSIENT':
      if (failure.sent && !policy.destinationHonoursIdempotencyKey) {
        return {
          kind: 'resolve_unknown',
          status: 'UNKNOWN',
          resolveAt: failure.now + policy.unknownResolveDelayMs,
          reason:
            'transient failure after sending to a destination that ignores idempotency keys: a re-send could post twice',
        };
      }
      return retryOrGiveUp(
        failure,
        policy,
        backoff(),
        'transient failure: capped exponential backoff with full jitter',
      );
    case 'RATE_LIMITED': {
      // Exactly what the destination asked for, never less; no jitter, which could only shorten or needlessly lengthen it.
      const retryAfter = failure.retryAfterMs;
      return retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0
        ? retryOrGiveUp(
            failure,
            policy,
            Math.ceil(retryAfter),
            `rate limited: honouring Retry-After of ${Math.ceil(retryAfter)} ms`,
          )
        : retryOrGiveUp(
            failure,
            policy,
            backoff(),
            'rate limited without Retry-After: backoff with full jitter',
          );
    }
    case 'VALIDATION':
      return {
        kind: 'fail_permanently',
        status: 'FAILED_PERMANENT',
        cause: 'validation',
        reason: 'rejected as invalid: never retried, routed to correction',
      };
    case 'CONFLICT':
      return {
        kind: 'fail_permanently',
        status: 'FAILED_PERMANENT',
        cause: 'conflict',
        reason: 'destination holds a different request under this idempotency key: routed to correction',
      };
    case 'AMBIGUOUS':
      // Regardless of attempts: an unknown outcome is resolved by asking, never guessed away; not sooner than the
      // destination asked (a 409 "still in progress" may say when to come back).
      return {
        kind: 'resolve_unknown',
        status: 'UNKNOWN',
        resolveAt: failure.now + Math.max(policy.unknownResolveDelayMs, Math.ceil(failure.retryAfterMs ?? 0)),
        reason: 'outcome unknown after sending: ask the destination before any re-send',
      };
    case 'CIRCUIT_OPEN': {
      const delayMs = Math.max(failure.retryAfterMs ?? policy.circuitOpenWaitMs, 0);
      return {
        kind: 'wait_for_breaker',
        status: 'FAILED_RETRYABLE',
        nextAttemptAt: failure.now + delayMs,
        delayMs,
        countsAsAttempt: false,
        destinationDegraded: true,
        reason: 'circuit open: nothing sent, waiting in the ledger for the breaker to close',
      };
    }
    default:
      return assertUnreachable(failure.errorClass, 'writeback error class');
  }
}

/** `decideAfterFailure` fed from a classified error. */
export function decideAfterError(
  error: WritebackError,
  attempt: number,
  now: number,
  policy: RetryPolicyConfig = DEFAULT_RETRY_POLICY,
  random: RandomSource = Math.random,
): RetryDecision {
  return decideAfterFailure(
    { errorClass: error.errorClass, attempt, sent: error.sent, retryAfterMs: error.retryAfterMs, now },
    policy,
    random,
  );
}

/** What asking the destination about an UNKNOWN row found. */
export type UnknownLookupResult =
  | { kind: 'found'; providerRef: string }
  | { kind: 'not_found' }
  /** The lookup itself failed (destination down, breaker open): nothing learned. */
  | { kind: 'inconclusive'; reason: string };

export type ResolutionDecision =
  | { kind: 'applied'; status: 'APPLIED'; providerRef: string; reason: string }
  | {
      kind: 'retry';
      status: 'FAILED_RETRYABLE';
      nextAttemptAt: number;
      delayMs: number;
      evidence: Required<Pick<TransitionEvidence, 'destinationConfirmedNoRecord'>>;
      reason: string;
    }
  | { kind: 'resolve_unknown'; status: 'UNKNOWN'; resolveAt: number; reason: string }
  | { kind: 'fail_permanently'; status: 'FAILED_PERMANENT'; cause: 'attempts_exhausted'; reason: string };

export interface UnknownResolutionInput {
  lookup: UnknownLookupResult;
  /** Sends made so far for this row. */
  attempts: number;
  /** 1-based number of this lookup, for backing off inconclusive ones. */
  lookupNumber: number;
  /** When the row's last send started (epoch ms); null when nothing was ever sent. */
  lastSendStartedAt: number | null;
  now: number;
}

/** What to do with an UNKNOWN row once the destination was asked. */
export function decideAfterLookup(
  input: UnknownResolutionInput,
  policy: RetryPolicyConfig = DEFAULT_RETRY_POLICY,
  random: RandomSource = Math.random,
): ResolutionDecision {
  const { lookup } = input;
  switch (lookup.kind) {
    case 'found':
      return {
        kind: 'applied',
        status: 'APPLIED',
        providerRef: lookup.providerRef,
        reason: 'destination has the posting',
      };
    case 'not_found': {
      // A lookup reads what the destination has made visible so far; before the bound, the last send may yet appear.
      const finalAt =
        input.lastSendStartedAt === null ? input.now : input.lastSendStartedAt + policy.lookupVisibilityMs;
      if (input.now < finalAt) {
        return {
          kind: 'resolve_unknown',
          status: 'UNKNOWN',
          resolveAt: finalAt,
          reason: `destination has no record yet, but the last send may become visible until ${new Date(finalAt).toISOString()} (read-visibility bound ${policy.lookupVisibilityMs} ms): ask again then`,
        };
      }
      if (input.attempts >= policy.maxAttempts) {
        return {
          kind: 'fail_permanently',
          status: 'FAILED_PERMANENT',
          cause: 'attempts_exhausted',
          reason: `destination has no record and ${input.attempts} attempts (max ${policy.maxAttempts}) are used up`,
        };
      }
      const delayMs = fullJitterDelayMs(input.attempts - 1, policy, random);
      return {
        kind: 'retry',
        status: 'FAILED_RETRYABLE',
        nextAttemptAt: input.now + delayMs,
        delayMs,
        evidence: { destinationConfirmedNoRecord: true },
        reason: 'destination confirmed it has no record: safe to send again',
      };
    }
    case 'inconclusive': {
      // Stays UNKNOWN however long it takes; aging unknowns raise alerts instead of being guessed away.
      const delayMs = Math.max(
        policy.unknownResolveDelayMs,
        fullJitterDelayMs(input.lookupNumber - 1, policy, random),
      );
      return {
        kind: 'resolve_unknown',
        status: 'UNKNOWN',
        resolveAt: input.now + delayMs,
        reason: `lookup inconclusive (${lookup.reason}): ask again later`,
      };
    }
    default:
      return assertUnreachable(lookup, 'lookup result');
  }
}
