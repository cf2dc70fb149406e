import type { Protocol, WritebackCommand, WritebackErrorClass, WritebackStatus } from '@closeout/contracts';

type WritebackCommandType = WritebackCommand['command'];
import { assertUnreachable } from '../assert-unreachable';

export const BREAK_KINDS = [
  'REQUESTED_NO_RESULT',
  'UNKNOWN_PAST_TTL',
  'APPLIED_MISSING_IN_CORE',
  'IN_CORE_NOT_REQUESTED',
  'COMPLETED_WITHOUT_WRITEBACKS',
  'FAILED_BUT_POSTED',
  'SHARED_PROVIDER_REF',
  'POSTED_TWICE',
] as const;
export type BreakKind = (typeof BREAK_KINDS)[number];

/** The reconciler's own view of one writeback, built from writeback.requested and writeback.result. */
export interface Expectation {
  destination: string;
  idempotencyKey: string;
  protocol: Protocol | null;
  operation: string | null;
  caseId: string | null;
  workflowId: string | null;
  correlationId: string | null;
  /** Epoch ms; null while only a result was seen (results may arrive before their request). */
  requestedAt: number | null;
  /** When the latest result was published (its occurredAt); null while no result was seen. */
  resultAt: number | null;
  /** The latest result's status. */
  status: WritebackStatus | null;
  errorClass: WritebackErrorClass | null;
  providerRef: string | null;
  /** First APPLIED result. */
  appliedAt: number | null;
}

/** A case.state COMPLETED as the orchestrator announced it. Writebacks are named by idempotency key. */
export interface CaseCompletion {
  caseId: string;
  workflowId: string;
  correlationId: string;
  completedAt: number;
  requiredWritebacks: readonly string[];
  appliedWritebacks: readonly string[];
}

/** One posting as a system of record's extract lists it. Amounts in minor units, never floats. */
export interface Posting {
  idempotencyKey: string | null;
  providerRef: string;
  amountMinor: number | null;
  currency: string | null;
  postedAt: number;
}

/** What one core holds for the window [from, to]. */
export interface Extract {
  destination: string;
  /** The protocol of the adapter that read it: who owns a posting nobody requested on this core. */
  protocol: Protocol;
  from: number;
  to: number;
  postings: readonly Posting[];
}

export interface BreakRules {
  /** REQUESTED_NO_RESULT once a request has waited this long for any result. */
  resultWindowMs: number;
  /** UNKNOWN_PAST_TTL once the latest result has been UNKNOWN this long. */
  unknownTtlMs: number;
  /**
   * Postings, results and completions younger than this are not judged against the extracts: a posting the
   * reconciler has not consumed the request of yet is in flight, not a break.
   */
  graceMs: number;
}

export interface DetectedBreak {
  /** One break per key: the same condition found again is the same break. */
  key: string;
  kind: BreakKind;
  destination: string;
  idempotencyKey: string | null;
  caseId: string | null;
  workflowId: string | null;
  correlationId: string | null;
  /**
   * The protocol of the writeback service owning the destination: from the request or result, or from the extract
   * that found the posting. Null only when nothing the reconciler saw names one (a completed case whose required
   * writebacks were never requested or answered on any destination).
   */
  protocol: Protocol | null;
  /** What an agent needs to understand it. */
  context: Record<string, unknown>;
}

/** A posting as a break's context names it: enough for an agent to find it in the core. */
export interface PostingInContext {
  providerRef: string;
  amountMinor: number | null;
  currency: string | null;
  postedAt: string;
}

/** The context of a POSTED_TWICE break: every posting under the key, the one to keep and the ones to reverse. */
export interface PostedTwiceContext {
  reason: string;
  postings: PostingInContext[];
  keep: { providerRef: string; why: string };
  reverse: PostingInContext[];
  /** The reversal to make, in words, for the exception queue. */
  reversal: string;
}

/**
 * The postings a POSTED_TWICE break's context asks to reverse. The context comes back from storage as JSON, so
 * anything that is not a posting with a reference is left out rather than trusted.
 */
export function postingsToReverse(context: Record<string, unknown>): PostingInContext[] {
  const reverse = context['reverse'];
  if (!Array.isArray(reverse)) return [];
  return reverse.flatMap((p: unknown) => {
    if (typeof p !== 'object' || p === null) return [];
    const { providerRef, amountMinor, currency, postedAt } = p as Record<string, unknown>;
    if (typeof providerRef !== 'string') return [];
    return [
      {
        providerRef,
        amountMinor: typeof amountMinor === 'number' && Number.isInteger(amountMinor) ? amountMinor : null,
        currency: typeof currency === 'string' ? currency : null,
        postedAt: typeof postedAt === 'string' ? postedAt : '',
      },
    ];
  });
}

/** What the reconciler asks the owning writeback service to do about a break when it opens. */
export function commandFor(kind: BreakKind): WritebackCommandType {
  switch (kind) {
    case 'REQUESTED_NO_RESULT':
    case 'UNKNOWN_PAST_TTL':
    case 'FAILED_BUT_POSTED':
      // The destination knows the truth: ask it (the ledger protocol's lookup), never guess. A failure the core's
      // extract contradicts is settled only if the destination, asked by its owner, confirms the posting too.
      return 'RESOLVE';
    case 'APPLIED_MISSING_IN_CORE':
    case 'IN_CORE_NOT_REQUESTED':
    case 'COMPLETED_WITHOUT_WRITEBACKS':
    case 'SHARED_PROVIDER_REF':
    case 'POSTED_TWICE':
      // A machine must not fix these: money may have moved, or not, against what the case says.
      return 'FLAG';
    default:
      return assertUnreachable(kind, 'break kind');
  }
}

/** The second command a break that stays open may get. */
export type FollowUpCommand = Exclude<WritebackCommandType, 'RESOLVE'>;

/** How long a break stays open after its command before its follow-up is sent. */
export interface FollowUpRules {
  /** A RESOLVE break still open this long gets one REPLAY. */
  replayAfterMs: number;
  /**
   * A false failure still open this long was not settled by its owner (the destination did not confirm, or nobody
   * serves it): it goes to a human. The time results take to travel the topics (the grace) is enough to tell.
   */
  escalateAfterMs: number;
}

/**
 * The one follow-up command a break still open gets, or null. REPLAY is safe because the writeback service looks up
 * first and re-sends under the same key; a false failure is never re-sent, so it is FLAGged instead — the case's
 * exception must say the core shows it posted before anyone retries it into a second posting.
 */
export function followUpFor(
  kind: BreakKind,
  openedAt: number,
  now: number,
  rules: FollowUpRules,
  followedUp: boolean,
): FollowUpCommand | null {
  if (followedUp) return null;
  const age = now - openedAt;
  switch (kind) {
    case 'REQUESTED_NO_RESULT':
    case 'UNKNOWN_PAST_TTL':
      return age >= rules.replayAfterMs ? 'REPLAY' : null;
    case 'FAILED_BUT_POSTED':
      return age >= rules.escalateAfterMs ? 'FLAG' : null;
    case 'APPLIED_MISSING_IN_CORE':
    case 'IN_CORE_NOT_REQUESTED':
    case 'COMPLETED_WITHOUT_WRITEBACKS':
    case 'SHARED_PROVIDER_REF':
    case 'POSTED_TWICE':
      return null;
    default:
      return assertUnreachable(kind, 'break kind');
  }
}

/** The scope a kind is judged in: topic-only kinds everywhere at once, extract kinds per destination. */
export function breakScope(kind: BreakKind, destination: string): string {
  switch (kind) {
    case 'REQUESTED_NO_RESULT':
    case 'UNKNOWN_PAST_TTL':
    case 'COMPLETED_WITHOUT_WRITEBACKS':
      return kind;
    case 'APPLIED_MISSING_IN_CORE':
    case 'IN_CORE_NOT_REQUESTED':
    case 'FAILED_BUT_POSTED':
    case 'SHARED_PROVIDER_REF':
    case 'POSTED_TWICE':
      return `${kind}:${destination}`;
    default:
      return assertUnreachable(kind, 'break kind');
  }
}
