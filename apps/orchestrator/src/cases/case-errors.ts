/** Why an event about a case cannot be applied yet or at all; the consumer decides retry or dead-letter from the code. */
export class CaseNotFoundError extends Error {
  readonly code = 'CASE_NOT_FOUND';
  constructor(readonly caseId: string) {
    super(`caseId: no case '${caseId}' (the trigger may not have been processed yet)`);
  }
}
