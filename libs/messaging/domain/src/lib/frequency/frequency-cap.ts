/**
 * Frequency caps: at most `max` attempts per customer and purpose in any rolling `windowDays` × 24 h. The service
 * keeps the attempts durably and passes their instants in; this decides.
 */
import { MessagingPolicyError } from '../errors';

export interface FrequencyCap {
  purpose: string;
  /** Attempts allowed in the window: an integer ≥ 1. */
  max: number;
  /** The rolling window, in days of 24 h: an integer from 1 to 366. */
  windowDays: number;
}

export type FrequencyDecision =
  | {
      kind: 'allowed';
      /** attempts left in the window after this one; undefined when the purpose has no cap */ remaining?: number;
    }
  | {
      kind: 'suppressed';
      reason: 'SUPPRESSED_FREQUENCY_CAP';
      /** When the oldest counted attempt leaves the window (ms since epoch). */
      nextAllowedAt: number;
      max: number;
      windowDays: number;
    };

const DAY_MS = 24 * 60 * 60 * 1000;

/** Validates the configured caps: one per purpose, integers in range. A refusal names `<field>[i].<key>`. */
export function validateFrequencyCaps(caps: readonly FrequencyCap[], field = 'frequencyCaps'): void {
  const seen = new Set<string>();
  caps.forEach((cap, i) => {
    if (typeof cap.purpose !== 'string' || cap.purpose.length === 0)
      throw new MessagingPolicyError(
        'INVALID_FREQUENCY_CAP',
        `${field}[${i}].purpose`,
        'must be a non-empty purpose',
      );
    if (seen.has(cap.purpose))
      throw new MessagingPolicyError(
        'INVALID_FREQUENCY_CAP',
        `${field}[${i}].purpose`,
        'must be unique: one cap per purpose',
      );
    seen.add(cap.purpose);
    if (!Number.isInteger(cap.max) || cap.max < 1)
      throw new MessagingPolicyError('INVALID_FREQUENCY_CAP', `${field}[${i}].max`, 'must be an integer ≥ 1');
    if (!Number.isInteger(cap.windowDays) || cap.windowDays < 1 || cap.windowDays > 366)
      throw new MessagingPolicyError(
        'INVALID_FREQUENCY_CAP',
        `${field}[${i}].windowDays`,
        'must be an integer from 1 to 366',
      );
  });
}

/**
 * Whether one more attempt for `purpose` is allowed at `now`, given the instants of the customer's prior attempts
 * for that purpose. Attempts in `(now - window, now]` count; later ones (clock skew) count too, as if now.
 */
export function checkFrequencyCap(input: {
  now: number;
  purpose: string;
  caps: readonly FrequencyCap[];
  priorAttempts: readonly number[];
}): FrequencyDecision {
  const cap = input.caps.find((c) => c.purpose === input.purpose);
  if (!cap) return { kind: 'allowed' };
  const windowMs = cap.windowDays * DAY_MS;
  const counted = input.priorAttempts
    .filter((at) => at > input.now - windowMs)
    .map((at) => Math.min(at, input.now))
    .sort((a, b) => a - b);
  if (counted.length < cap.max) return { kind: 'allowed', remaining: cap.max - counted.length - 1 };
  // One more is allowed once all but max - 1 of the counted attempts have left the window.
  const nextAllowedAt = (counted[counted.length - cap.max] ?? input.now) + windowMs;
  return {
    kind: 'suppressed',
    reason: 'SUPPRESSED_FREQUENCY_CAP',
    nextAllowedAt,
    max: cap.max,
    windowDays: cap.windowDays,
  };
}
