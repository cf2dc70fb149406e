import { DomainError } from '@closeout/errors';

/** Why an event about a case cannot be applied yet or at all; the consumer decides retry or dead-letter from the code. */
export class CaseNotFoundError extends DomainError<'CASE_NOT_FOUND'> {
  constructor(readonly caseId: string) {
    super('CASE_NOT_FOUND', 'no such case (the trigger may not have been processed yet)', {
      field: 'caseId',
    });
  }
}

/**
 * An outreach.event for a case this orchestrator does not hold. Messaging reports only on outreach the orchestrator
 * asked for, and it asks only once the case has committed, so the case cannot turn up later: the event is someone
 * else's (another deployment on the same topic) and waiting for it would only hold up the partition.
 */
export class UnknownOutreachCaseError extends DomainError<'OUTREACH_CASE_UNKNOWN'> {
  constructor(readonly caseId: string) {
    super('OUTREACH_CASE_UNKNOWN', 'no such case: this orchestrator never asked for this outreach', {
      field: 'caseId',
    });
  }
}

/**
 * A miniapp.action for a case this orchestrator does not hold. The mini-app learns of a case only from the link
 * messaging sent, and messaging sends only for outreach the orchestrator asked for once the case had committed: the
 * case cannot turn up later, so the action is someone else's (another deployment on the same topic) and waiting for
 * it would only hold up the partition and the actions of real customers behind it.
 */
export class UnknownActionCaseError extends DomainError<'ACTION_CASE_UNKNOWN'> {
  constructor(readonly caseId: string) {
    super('ACTION_CASE_UNKNOWN', 'no such case: this orchestrator never offered it to a customer', {
      field: 'caseId',
    });
  }
}
