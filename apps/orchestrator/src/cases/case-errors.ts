import { DomainError } from '@closeout/errors';

/** Why an event about a case cannot be applied yet or at all; the consumer decides retry or dead-letter from the code. */
export class CaseNotFoundError extends DomainError<'CASE_NOT_FOUND'> {
  constructor(readonly caseId: string) {
    super('CASE_NOT_FOUND', 'no such case (the trigger may not have been processed yet)', {
      field: 'caseId',
    });
  }
}
