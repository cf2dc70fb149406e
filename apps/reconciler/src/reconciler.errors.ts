import { DomainError } from '@closeout/errors';

/** The reconciler's own failures, by code: what went wrong decides what an operator does about it. */
export type ReconcilerErrorCode = 'BREAK_WITHOUT_OWNER';

export class ReconcilerError extends DomainError<ReconcilerErrorCode> {
  constructor(code: ReconcilerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
