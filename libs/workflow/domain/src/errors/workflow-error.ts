import { DomainError } from '@closeout/errors';

/**
 * Every error the workflow domain raises carries a `code` from this union, so the orchestrator switches on codes,
 * never on message text. Its base is the project's one error base, `DomainError`.
 */
export type WorkflowErrorCode =
  | 'WORKFLOW_DEFINITION_INVALID'
  | 'WORKFLOW_NOT_FOUND'
  | 'WORKFLOW_NOT_READY'
  | 'WORKFLOW_FACT_MISSING'
  | 'WORKFLOW_FACT_INVALID'
  | 'WORKFLOW_PAYLOAD_INVALID'
  | 'WORKFLOW_FACTS_MISMATCH';

export abstract class WorkflowError<
  Code extends WorkflowErrorCode = WorkflowErrorCode,
> extends DomainError<Code> {
  protected constructor(code: Code, message: string, options?: { field?: string; cause?: unknown }) {
    super(code, message, options);
  }
}
