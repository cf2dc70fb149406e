import type { WritebackStatus } from '@closeout/contracts';
import { assertUnreachable } from './assert-unreachable';
import { IllegalTransitionError } from './errors';

/** Every status, in lifecycle order. `satisfies` plus the exhaustive switch in `isTerminal` keep it complete. */
export const WRITEBACK_STATUSES = [
  'PENDING',
  'IN_FLIGHT',
  'APPLIED',
  'FAILED_RETRYABLE',
  'FAILED_PERMANENT',
  'UNKNOWN',
  'REJECTED_CONFLICT',
  'COMPENSATED',
] as const satisfies readonly WritebackStatus[];

/**
 * The statuses a ledger row can be created in.
 *
 * - `PENDING`: a new (destination, idempotency key) — the normal case.
 * - `REJECTED_CONFLICT`: a request whose key is already in the ledger under a different payload fingerprint. The
 *   existing row is left untouched (it is someone's real writeback); the rejected request is recorded as its own
 *   row, created directly in `REJECTED_CONFLICT`, audited and answered with a `writeback.result`. It is therefore
 *   never the target of an UPDATE, and `expectedFromStates('REJECTED_CONFLICT')` is empty.
 */
export const INITIAL_STATUSES = [
  'PENDING',
  'REJECTED_CONFLICT',
] as const satisfies readonly WritebackStatus[];

/**
 * Allowed transitions of an existing row. Anything not listed is illegal; in particular nothing leaves `UNKNOWN`
 * for `IN_FLIGHT` directly, because an unknown outcome must be resolved by asking the destination, never by sending
 * again blind.
 */
const TRANSITIONS: Readonly<Record<WritebackStatus, readonly WritebackStatus[]>> = {
  PENDING: ['IN_FLIGHT'],
  // Lease expiry while in flight is an outcome we cannot see: IN_FLIGHT → UNKNOWN.
  IN_FLIGHT: ['APPLIED', 'FAILED_RETRYABLE', 'FAILED_PERMANENT', 'UNKNOWN'],
  FAILED_RETRYABLE: ['IN_FLIGHT'],
  // UNKNOWN → UNKNOWN records an inconclusive lookup (destination unreachable) and reschedules the next one.
  UNKNOWN: ['APPLIED', 'FAILED_RETRYABLE', 'FAILED_PERMANENT', 'UNKNOWN'],
  // Compensation (a reversal posted by an explicit command) is the only way out of APPLIED.
  APPLIED: ['COMPENSATED'],
  // A permanent failure the destination later shows it posted (a false failure) is settled from that evidence only.
  FAILED_PERMANENT: ['APPLIED'],
  REJECTED_CONFLICT: [],
  COMPENSATED: [],
};

/** Evidence some transitions require besides the table. */
export interface TransitionEvidence {
  /** The destination was asked (lookup by idempotency key / provider ref) and answered that it has no record. */
  destinationConfirmedNoRecord?: boolean;
  /** The destination was asked (lookup by idempotency key) and answered that it holds a posting under the key. */
  destinationConfirmedPosting?: boolean;
}

/** Transitions that are legal only with evidence; the reason is the rule a caller without it broke. */
function missingEvidence(
  from: WritebackStatus,
  to: WritebackStatus,
  evidence: TransitionEvidence,
): string | null {
  if (from === 'UNKNOWN' && to === 'FAILED_RETRYABLE' && evidence.destinationConfirmedNoRecord !== true) {
    return 'an unknown outcome may become retryable only after the destination confirmed it has no record';
  }
  if (from === 'FAILED_PERMANENT' && to === 'APPLIED' && evidence.destinationConfirmedPosting !== true) {
    return 'a permanent failure may become applied only after the destination confirmed it holds a posting under the key';
  }
  return null;
}

/**
 * Terminal: the outcome is settled and no worker will pick the row up again; a duplicate request gets the stored
 * result republished. APPLIED is terminal for the case even though an explicit compensation may follow.
 */
export function isTerminal(status: WritebackStatus): boolean {
  switch (status) {
    case 'APPLIED':
    case 'FAILED_PERMANENT':
    case 'REJECTED_CONFLICT':
    case 'COMPENSATED':
      return true;
    case 'PENDING':
    case 'IN_FLIGHT':
    case 'FAILED_RETRYABLE':
    case 'UNKNOWN':
      return false;
    default:
      return assertUnreachable(status, 'writeback status');
  }
}

export function isInitialStatus(status: WritebackStatus): boolean {
  return (INITIAL_STATUSES as readonly WritebackStatus[]).includes(status);
}

/** The statuses a row may move to from `from` (evidence-guarded ones included). */
export function transitionsFrom(from: WritebackStatus): readonly WritebackStatus[] {
  return TRANSITIONS[from];
}

export function canTransition(
  from: WritebackStatus,
  to: WritebackStatus,
  evidence: TransitionEvidence = {},
): boolean {
  return TRANSITIONS[from].includes(to) && missingEvidence(from, to, evidence) === null;
}

/** Throws `IllegalTransitionError` naming the rule when `from → to` is not allowed. */
export function assertTransition(
  from: WritebackStatus,
  to: WritebackStatus,
  evidence: TransitionEvidence = {},
): void {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from];
    throw new IllegalTransitionError(
      from,
      to,
      allowed.length === 0 ? `${from} is final` : `from ${from} only ${allowed.join(', ')} are allowed`,
    );
  }
  const missing = missingEvidence(from, to, evidence);
  if (missing !== null) throw new IllegalTransitionError(from, to, missing);
}

/**
 * The statuses a row must be in for an UPDATE to `to` to be legal, for the SQL guard that makes two workers unable
 * to both win: `UPDATE ledger SET status = $to … WHERE id = $id AND status = ANY($expected)`. Evidence-guarded
 * sources are included; the caller checks the evidence with `assertTransition` before issuing the UPDATE.
 */
export function expectedFromStates(to: WritebackStatus): readonly WritebackStatus[] {
  return WRITEBACK_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}
