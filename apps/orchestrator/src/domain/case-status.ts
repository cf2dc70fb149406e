import { DomainError } from '@closeout/errors';

import type { CaseStatus } from '@closeout/contracts';

/**
 * Which case state may follow which. A case completes only from AWAITING_WRITEBACK (or from an exception raised
 * while writebacks were still outstanding, when the last one lands); terminal states never move again.
 */
const NEXT: Record<CaseStatus, readonly CaseStatus[]> = {
  TRIGGERED: ['OUTREACH', 'EXCEPTION', 'CLOSED'],
  OUTREACH: ['AWAITING_CUSTOMER', 'AWAITING_WRITEBACK', 'EXCEPTION', 'EXPIRED', 'CLOSED'],
  AWAITING_CUSTOMER: ['AWAITING_WRITEBACK', 'EXCEPTION', 'EXPIRED', 'CLOSED'],
  AWAITING_WRITEBACK: ['COMPLETED', 'EXCEPTION', 'CLOSED'],
  EXCEPTION: ['AWAITING_WRITEBACK', 'AWAITING_CUSTOMER', 'COMPLETED', 'CLOSED'],
  EXPIRED: ['AWAITING_CUSTOMER', 'CLOSED'],
  COMPLETED: [],
  CLOSED: [],
};

export class CaseTransitionError extends DomainError<'CASE_TRANSITION_NOT_ALLOWED'> {
  constructor(
    readonly from: CaseStatus,
    readonly to: CaseStatus,
  ) {
    super(
      'CASE_TRANSITION_NOT_ALLOWED',
      `${from} → ${to} is not allowed (from ${from}: ${NEXT[from].join(', ') || 'none, it is terminal'})`,
      { field: 'case state' },
    );
  }
}

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return NEXT[from].includes(to);
}

export function assertTransition(from: CaseStatus, to: CaseStatus): void {
  if (!canTransition(from, to)) throw new CaseTransitionError(from, to);
}

export function isTerminal(state: CaseStatus): boolean {
  return NEXT[state].length === 0;
}

/** States in which the customer may still act on the case. */
export function awaitsCustomer(state: CaseStatus): boolean {
  return state === 'OUTREACH' || state === 'AWAITING_CUSTOMER';
}
