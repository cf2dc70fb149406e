/** The reconciler's own failures, by code: what went wrong decides what an operator does about it. */
export type ReconcilerErrorCode = 'BREAK_WITHOUT_OWNER';

export class ReconcilerError extends Error {
  constructor(
    readonly code: ReconcilerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ReconcilerError';
  }
}
