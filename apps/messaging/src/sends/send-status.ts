/**
 * The send ledger's statuses and what each outcome moves a row to. Pure: the worker records what these return.
 *
 *   RECEIVED ─▶ DEFERRED (quiet hours: decide again at `until`) | SUPPRESSED (final) | SENDING
 *   DEFERRED, RETRY_WAIT ─▶ as RECEIVED when due
 *   SENDING ─▶ SENT | RETRY_WAIT (transient refusal) | UNKNOWN (the provider may have it) | FAILED
 *            | RECEIVED (the channel failed permanently and another is left: decided again on it)
 *   UNKNOWN (and a SENDING row whose lease ran out) ─▶ resolved by `lookup`, never by sending blind:
 *            SENT | DELIVERED | FAILED | UNKNOWN (ask later) | RECEIVED (not found after the visibility bound)
 *            | FAILED with OUTCOME_UNKNOWN (still unknown `unknownMaxMs` after the send: never sent again there)
 *   SENT ─▶ DELIVERED | FAILED (delivery reports) | RECEIVED (reported failed, another channel is left)
 */
import type { LookupResult, SendOutcome } from '@closeout/messaging-channels';
import { retryDelayMs } from '@closeout/kafka';

export const SEND_STATUSES = [
  'RECEIVED',
  'DEFERRED',
  'RETRY_WAIT',
  'SENDING',
  'UNKNOWN',
  'SENT',
  'DELIVERED',
  'FAILED',
  'SUPPRESSED',
] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/** Rows the worker decides on afresh (policy, then a send). */
export const TO_DECIDE: readonly SendStatus[] = ['RECEIVED', 'DEFERRED', 'RETRY_WAIT'];
/** Rows whose outcome is open: resolved by asking the provider first. */
export const TO_RESOLVE: readonly SendStatus[] = ['SENDING', 'UNKNOWN'];

/** The moves the ledger allows; a transition from anywhere else is refused by the guarded UPDATE. */
export const ALLOWED_MOVES: Readonly<Record<SendStatus, readonly SendStatus[]>> = {
  RECEIVED: ['DEFERRED', 'SUPPRESSED', 'SENDING', 'FAILED'],
  DEFERRED: ['DEFERRED', 'SUPPRESSED', 'SENDING', 'FAILED'],
  RETRY_WAIT: ['DEFERRED', 'SUPPRESSED', 'SENDING', 'FAILED'],
  SENDING: ['SENT', 'RETRY_WAIT', 'UNKNOWN', 'FAILED', 'RECEIVED', 'DELIVERED'],
  UNKNOWN: ['SENT', 'DELIVERED', 'FAILED', 'UNKNOWN', 'RECEIVED'],
  SENT: ['DELIVERED', 'FAILED', 'RECEIVED'],
  DELIVERED: [],
  FAILED: [],
  SUPPRESSED: [],
};

/** The statuses a row may be in for a move to `to`. */
export function fromStatesFor(to: SendStatus): SendStatus[] {
  return SEND_STATUSES.filter((from) => ALLOWED_MOVES[from].includes(to));
}

export interface OutcomePolicy {
  /** Sends of one row (transient refusals included) before it fails. */
  maxSendAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long after an unknown outcome (or an inconclusive lookup) the provider is asked again. */
  lookupDelayMs: number;
  /** How long after a send started a "not found" may still be the provider not showing it yet. */
  lookupVisibilityMs: number;
  /**
   * How long after a send started an outcome nothing settles (lookups inconclusive, as SMTP's always are) stays open:
   * then the channel has failed with OUTCOME_UNKNOWN, and the message is never sent on it again.
   */
  unknownMaxMs: number;
}

/** The reason a send ends with when nothing confirmed or refuted it within `unknownMaxMs`. */
export const OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN';

export type NextState =
  | { status: 'SENT'; providerRef: string; reason?: string }
  | { status: 'DELIVERED'; providerRef: string; reason?: string }
  | { status: 'RETRY_WAIT'; nextDueAt: number; reason: string }
  | { status: 'UNKNOWN'; nextDueAt: number; reason: string }
  /**
   * `channelFailed`: the channel cannot carry this message; another may (the worker decides). `detail`: what the
   * audit event says, when the reason is a bare code.
   */
  | { status: 'FAILED'; reason: string; channelFailed: boolean; providerRef?: string; detail?: string }
  /** Safe to send again: the provider does not have it past its visibility bound. */
  | { status: 'RECEIVED'; nextDueAt: number; reason: string };

/** What a send's answer moves its row to. `sendAttempts` counts this send. */
export function afterSend(
  outcome: SendOutcome,
  context: { now: number; sendAttempts: number; policy: OutcomePolicy; random?: () => number },
): NextState {
  const { now, sendAttempts, policy } = context;
  switch (outcome.kind) {
    case 'accepted':
      return { status: 'SENT', providerRef: outcome.providerRef };
    case 'unknown':
      return { status: 'UNKNOWN', nextDueAt: now + policy.lookupDelayMs, reason: outcome.reason };
    case 'rejected': {
      if (outcome.permanent) return { status: 'FAILED', reason: outcome.reason, channelFailed: true };
      if (sendAttempts >= policy.maxSendAttempts)
        return {
          status: 'FAILED',
          reason: `gave up after ${sendAttempts} sends: ${outcome.reason}`,
          channelFailed: true,
        };
      // The provider's Retry-After when it gave one, never less; otherwise capped exponential backoff with jitter.
      const backoff = retryDelayMs(
        sendAttempts,
        { initialBackoffMs: policy.retryBaseMs, maxBackoffMs: policy.retryMaxMs },
        context.random,
      );
      return {
        status: 'RETRY_WAIT',
        nextDueAt: now + Math.max(backoff, outcome.retryAfterMs ?? 0),
        reason: outcome.reason,
      };
    }
  }
}

/** What a lookup's answer moves an UNKNOWN (or abandoned SENDING) row to. */
export function afterLookup(
  result: LookupResult,
  context: { now: number; sendingSince: number; policy: OutcomePolicy },
): NextState {
  const { now, sendingSince, policy } = context;
  switch (result.kind) {
    case 'found': {
      const { state, providerRef, errorCode } = result.status;
      if (state === 'DELIVERED' || state === 'READ')
        return { status: 'DELIVERED', providerRef, reason: `provider reports ${state}` };
      if (state === 'UNDELIVERED' || state === 'FAILED')
        return {
          status: 'FAILED',
          providerRef,
          channelFailed: true,
          reason: `provider reports ${state}${errorCode !== undefined ? ` (${errorCode})` : ''}`,
        };
      return { status: 'SENT', providerRef, reason: `provider reports ${state}` };
    }
    case 'not-found': {
      const visibleAt = sendingSince + policy.lookupVisibilityMs;
      if (now >= visibleAt)
        return {
          status: 'RECEIVED',
          nextDueAt: now,
          reason: `not found ${Math.round((now - sendingSince) / 1000)} s after sending: safe to send again`,
        };
      return {
        status: 'UNKNOWN',
        nextDueAt: visibleAt,
        reason: 'not found yet, within the visibility bound',
      };
    }
    case 'inconclusive': {
      const endsAt = sendingSince + policy.unknownMaxMs;
      if (now >= endsAt)
        return {
          status: 'FAILED',
          reason: OUTCOME_UNKNOWN,
          channelFailed: true,
          detail: `never confirmed: the outcome was still unknown ${Math.round((now - sendingSince) / 1000)} s after sending (${result.reason}); not sent again on this channel, which could duplicate it`,
        };
      return {
        status: 'UNKNOWN',
        nextDueAt: Math.min(now + policy.lookupDelayMs, endsAt),
        reason: result.reason,
      };
    }
  }
}
