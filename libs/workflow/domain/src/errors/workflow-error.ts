/**
 * Every error the workflow domain raises carries a `code` from this union, so the orchestrator switches on codes,
 * never on message text. (The writeback domain's `CloseoutError` is closed over writeback codes, so this lib keeps
 * its own base in the same style.)
 */
export type WorkflowErrorCode =
  | 'WORKFLOW_DEFINITION_INVALID'
  | 'WORKFLOW_NOT_FOUND'
  | 'WORKFLOW_NOT_READY'
  | 'WORKFLOW_FACT_MISSING'
  | 'WORKFLOW_FACT_INVALID'
  | 'WORKFLOW_PAYLOAD_INVALID'
  | 'WORKFLOW_FACTS_MISMATCH';

export abstract class WorkflowError<Code extends WorkflowErrorCode = WorkflowErrorCode> extends Error {
  readonly code: Code;

  protected constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // The concrete class name, so logs and stack traces say `ReadinessError`, not `Error`.
    this.name = new.target.name;
  }
}
