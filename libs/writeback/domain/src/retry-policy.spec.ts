import type { WritebackErrorClass } from '@closeout/contracts';
import {
  AmbiguousOutcomeError,
  CircuitOpenError,
  ConflictError,
  RateLimitedError,
  TransientError,
  ValidationError,
} from './errors';
import {
  decideAfterError,
  decideAfterFailure,
  decideAfterLookup,
  DEFAULT_RETRY_POLICY,
  fullJitterDelayMs,
  retryPolicyFor,
  type RetryPolicyConfig,
} from './retry-policy';
import { canTransition } from './status-machine';

const policy: RetryPolicyConfig = {
  ...DEFAULT_RETRY_POLICY,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  maxAttempts: 5,
  destinationHonoursIdempotencyKey: true,
};
const NOW = 1_718_000_000_000;
const lowest = () => 0;
const highest = () => 0.999_999_999;

/** A seeded linear congruential generator: many draws, reproducible. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) % 2 ** 32;
    return s / 2 ** 32;
  };
}

describe('full jitter backoff', () => {
  it('draws from [0, base·2^retryIndex] while below the cap', () => {
    expect(fullJitterDelayMs(0, policy, lowest)).toBe(0);
    expect(fullJitterDelayMs(0, policy, highest)).toBe(100);
    expect(fullJitterDelayMs(3, policy, highest)).toBe(800);
    expect(fullJitterDelayMs(3, policy, () => 0.5)).toBe(400);
  });

  it('never exceeds the cap, however many retries', () => {
    expect(fullJitterDelayMs(7, policy, highest)).toBe(10_000);
    expect(fullJitterDelayMs(1_000, policy, highest)).toBe(10_000);
    const random = seeded(42);
    for (let retryIndex = 0; retryIndex < 40; retryIndex++) {
      for (let draw = 0; draw < 50; draw++) {
        const delay = fullJitterDelayMs(retryIndex, policy, random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(10_000, 100 * 2 ** retryIndex));
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it('spreads delays over the whole window rather than clustering at the ceiling', () => {
    const random = seeded(7);
    const delays = Array.from({ length: 2_000 }, () => fullJitterDelayMs(10, policy, random));
    const belowHalf = delays.filter((d) => d < 5_000).length / delays.length;
    expect(belowHalf).toBeGreaterThan(0.4);
    expect(belowHalf).toBeLessThan(0.6);
  });
});

describe('decideAfterFailure', () => {
  it('retries a transient failure at now + jittered backoff of the attempt', () => {
    const decision = decideAfterFailure(
      { errorClass: 'TRANSIENT', attempt: 3, sent: true, now: NOW },
      policy,
      highest,
    );
    expect(decision).toEqual({
      kind: 'retry',
      status: 'FAILED_RETRYABLE',
      delayMs: 400,
      nextAttemptAt: NOW + 400,
      reason: expect.stringContaining('full jitter'),
    });
  });

  it('waits exactly the Retry-After it was given, never less, even when backoff would be shorter', () => {
    for (const attempt of [1, 2, 4]) {
      const decision = decideAfterFailure(
        { errorClass: 'RATE_LIMITED', attempt, sent: true, retryAfterMs: 30_000, now: NOW },
        policy,
        lowest,
      );
      expect(decision).toMatchObject({ kind: 'retry', delayMs: 30_000, nextAttemptAt: NOW + 30_000 });
    }
  });

  it('rounds a fractional Retry-After up, never down', () => {
    const decision = decideAfterFailure(
      { errorClass: 'RATE_LIMITED', attempt: 1, sent: true, retryAfterMs: 1_500.2, now: NOW },
      policy,
    );
    expect(decision).toMatchObject({ kind: 'retry', nextAttemptAt: NOW + 1_501 });
  });

  it('falls back to backoff when a 429 carries no Retry-After', () => {
    const decision = decideAfterFailure(
      { errorClass: 'RATE_LIMITED', attempt: 2, sent: true, now: NOW },
      policy,
      highest,
    );
    expect(decision).toMatchObject({ kind: 'retry', delayMs: 200, nextAttemptAt: NOW + 200 });
  });

  it('never retries a validation failure, whatever the attempt', () => {
    for (const attempt of [1, 2, 100]) {
      expect(decideAfterFailure({ errorClass: 'VALIDATION', attempt, sent: true, now: NOW }, policy)).toEqual(
        {
          kind: 'fail_permanently',
          status: 'FAILED_PERMANENT',
          cause: 'validation',
          reason: expect.stringContaining('never retried'),
        },
      );
    }
  });

  it('sends an ambiguous outcome to UNKNOWN, to be resolved by asking, even on the last attempt', () => {
    for (const attempt of [1, 5, 9]) {
      expect(decideAfterFailure({ errorClass: 'AMBIGUOUS', attempt, sent: true, now: NOW }, policy)).toEqual({
        kind: 'resolve_unknown',
        status: 'UNKNOWN',
        resolveAt: NOW + policy.unknownResolveDelayMs,
        reason: expect.stringContaining('ask the destination'),
      });
    }
  });

  it('gives up with a reason once the attempts are used up', () => {
    for (const errorClass of ['TRANSIENT', 'RATE_LIMITED'] as const) {
      expect(
        decideAfterFailure({ errorClass, attempt: 5, sent: true, retryAfterMs: 1_000, now: NOW }, policy),
      ).toEqual({
        kind: 'fail_permanently',
        status: 'FAILED_PERMANENT',
        cause: 'attempts_exhausted',
        reason: `gave up after 5 attempts (max 5); last failure ${errorClass}`,
      });
    }
    expect(
      decideAfterFailure({ errorClass: 'TRANSIENT', attempt: 4, sent: true, now: NOW }, policy).kind,
    ).toBe('retry');
  });

  it('routes a destination-side idempotency conflict to correction', () => {
    expect(
      decideAfterFailure({ errorClass: 'CONFLICT', attempt: 1, sent: true, now: NOW }, policy),
    ).toMatchObject({
      kind: 'fail_permanently',
      cause: 'conflict',
    });
  });

  it('parks rows while the breaker is open without spending an attempt', () => {
    expect(
      decideAfterFailure({ errorClass: 'CIRCUIT_OPEN', attempt: 5, sent: false, now: NOW }, policy),
    ).toEqual({
      kind: 'wait_for_breaker',
      status: 'FAILED_RETRYABLE',
      nextAttemptAt: NOW + policy.circuitOpenWaitMs,
      delayMs: policy.circuitOpenWaitMs,
      countsAsAttempt: false,
      destinationDegraded: true,
      reason: expect.stringContaining('circuit open'),
    });
    expect(
      decideAfterFailure(
        { errorClass: 'CIRCUIT_OPEN', attempt: 1, sent: false, retryAfterMs: 12_000, now: NOW },
        policy,
      ),
    ).toMatchObject({ nextAttemptAt: NOW + 12_000 });
  });

  it('trusts no destination to de-duplicate unless it says so', () => {
    expect(DEFAULT_RETRY_POLICY.destinationHonoursIdempotencyKey).toBe(false);
    expect(
      decideAfterFailure({ errorClass: 'TRANSIENT', attempt: 1, sent: true, now: NOW }, DEFAULT_RETRY_POLICY)
        .kind,
    ).toBe('resolve_unknown');
  });

  it('resolves a sent transient failure by lookup when the destination ignores idempotency keys', () => {
    const noKeys = { ...policy, destinationHonoursIdempotencyKey: false };
    expect(
      decideAfterFailure({ errorClass: 'TRANSIENT', attempt: 1, sent: true, now: NOW }, noKeys).kind,
    ).toBe('resolve_unknown');
    // Not sent at all: re-sending cannot duplicate anything.
    expect(
      decideAfterFailure({ errorClass: 'TRANSIENT', attempt: 1, sent: false, now: NOW }, noKeys).kind,
    ).toBe('retry');
  });

  it('decides every error class, and every decision is a legal move from IN_FLIGHT', () => {
    const classes: WritebackErrorClass[] = [
      'TRANSIENT',
      'RATE_LIMITED',
      'VALIDATION',
      'AMBIGUOUS',
      'CONFLICT',
      'CIRCUIT_OPEN',
    ];
    for (const errorClass of classes) {
      const decision = decideAfterFailure({ errorClass, attempt: 1, sent: true, now: NOW }, policy);
      expect(canTransition('IN_FLIGHT', decision.status)).toBe(true);
    }
  });

  it('reads class, sent and Retry-After from a classified error', () => {
    expect(
      decideAfterError(new RateLimitedError('429', { retryAfterMs: 2_000 }), 1, NOW, policy),
    ).toMatchObject({
      nextAttemptAt: NOW + 2_000,
    });
    expect(
      decideAfterError(new ValidationError([{ path: 'wire.x', rule: 'bad' }]), 1, NOW, policy).kind,
    ).toBe('fail_permanently');
    expect(decideAfterError(new AmbiguousOutcomeError('timeout after send'), 1, NOW, policy).kind).toBe(
      'resolve_unknown',
    );
    expect(decideAfterError(new ConflictError('422 idempotency_key_reused'), 1, NOW, policy).kind).toBe(
      'fail_permanently',
    );
    expect(decideAfterError(new CircuitOpenError('core-banking-rest'), 1, NOW, policy).kind).toBe(
      'wait_for_breaker',
    );
    expect(decideAfterError(new TransientError('503', { sent: true }), 1, NOW, policy, lowest)).toMatchObject(
      {
        kind: 'retry',
        nextAttemptAt: NOW,
      },
    );
  });
});

describe('decideAfterLookup', () => {
  it('marks the row applied with the provider reference when the destination has the posting', () => {
    expect(
      decideAfterLookup(
        {
          lookup: { kind: 'found', providerRef: 'pay_00000042' },
          attempts: 1,
          lookupNumber: 1,
          lastSendStartedAt: null,
          now: NOW,
        },
        policy,
      ),
    ).toMatchObject({ kind: 'applied', status: 'APPLIED', providerRef: 'pay_00000042' });
  });

  it('allows a re-send only with the destination’s word that it has no record, carrying that evidence', () => {
    const decision = decideAfterLookup(
      { lookup: { kind: 'not_found' }, attempts: 2, lookupNumber: 1, lastSendStartedAt: null, now: NOW },
      policy,
      highest,
    );
    expect(decision).toMatchObject({ kind: 'retry', status: 'FAILED_RETRYABLE', nextAttemptAt: NOW + 200 });
    if (decision.kind !== 'retry') throw new Error('expected a retry');
    expect(canTransition('UNKNOWN', decision.status, decision.evidence)).toBe(true);
  });

  it('does not take "not found" as final before the last send could have become visible', () => {
    const bounded = { ...policy, lookupVisibilityMs: 4_000 };
    const early = decideAfterLookup(
      {
        lookup: { kind: 'not_found' },
        attempts: 1,
        lookupNumber: 1,
        lastSendStartedAt: NOW - 1_000,
        now: NOW,
      },
      bounded,
      highest,
    );
    // Asked again exactly when the bound has passed, still UNKNOWN: no re-send, no failure.
    expect(early).toMatchObject({ kind: 'resolve_unknown', status: 'UNKNOWN', resolveAt: NOW + 3_000 });
    const exhausted = decideAfterLookup(
      {
        lookup: { kind: 'not_found' },
        attempts: 5,
        lookupNumber: 1,
        lastSendStartedAt: NOW - 1_000,
        now: NOW,
      },
      bounded,
    );
    expect(exhausted.kind).toBe('resolve_unknown');
    const late = decideAfterLookup(
      {
        lookup: { kind: 'not_found' },
        attempts: 1,
        lookupNumber: 2,
        lastSendStartedAt: NOW - 4_000,
        now: NOW,
      },
      bounded,
      highest,
    );
    expect(late).toMatchObject({ kind: 'retry', status: 'FAILED_RETRYABLE' });
  });

  it('gives up when no record exists and the attempts are used up', () => {
    expect(
      decideAfterLookup(
        { lookup: { kind: 'not_found' }, attempts: 5, lookupNumber: 1, lastSendStartedAt: null, now: NOW },
        policy,
      ),
    ).toMatchObject({ kind: 'fail_permanently', cause: 'attempts_exhausted' });
  });

  it('stays UNKNOWN when the lookup learned nothing, backing off but never below the resolve delay', () => {
    const first = decideAfterLookup(
      {
        lookup: { kind: 'inconclusive', reason: 'connection refused' },
        attempts: 1,
        lookupNumber: 1,
        lastSendStartedAt: null,
        now: NOW,
      },
      policy,
      lowest,
    );
    expect(first).toMatchObject({
      kind: 'resolve_unknown',
      status: 'UNKNOWN',
      resolveAt: NOW + policy.unknownResolveDelayMs,
    });
    const tenth = decideAfterLookup(
      {
        lookup: { kind: 'inconclusive', reason: 'timeout' },
        attempts: 9,
        lookupNumber: 10,
        lastSendStartedAt: null,
        now: NOW,
      },
      policy,
      highest,
    );
    expect(tenth).toMatchObject({ kind: 'resolve_unknown', resolveAt: NOW + policy.maxDelayMs });
  });
});

describe('retryPolicyFor', () => {
  it('applies per-destination overrides over the defaults', () => {
    const overrides = { 'legacy-soap': { maxAttempts: 3, baseDelayMs: 5_000 } };
    expect(retryPolicyFor('legacy-soap', overrides)).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 3,
      baseDelayMs: 5_000,
    });
    expect(retryPolicyFor('core-banking-rest', overrides)).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('fails naming the destination and field when an override makes no sense', () => {
    expect(() => retryPolicyFor('legacy-soap', { 'legacy-soap': { maxAttempts: 0 } })).toThrow(
      'retryPolicy.legacy-soap.maxAttempts',
    );
    expect(() => retryPolicyFor('x', { x: { baseDelayMs: 10_000, maxDelayMs: 1_000 } })).toThrow(
      'retryPolicy.x.maxDelayMs: must be ≥ baseDelayMs',
    );
  });
});
