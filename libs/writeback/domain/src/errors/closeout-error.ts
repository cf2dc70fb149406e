import { DomainError } from '@closeout/errors';

/**
 * Every error the writeback domain raises carries a `code` from this union, so callers switch on codes, never on
 * message text or class names.
 */
export type CloseoutErrorCode =
  | 'WRITEBACK_TRANSIENT'
  | 'WRITEBACK_RATE_LIMITED'
  | 'WRITEBACK_VALIDATION'
  | 'WRITEBACK_WIRE_INVALID'
  | 'WRITEBACK_MAPPING_NOT_FOUND'
  | 'WRITEBACK_AMBIGUOUS'
  | 'WRITEBACK_CONFLICT'
  | 'WRITEBACK_CIRCUIT_OPEN'
  | 'WRITEBACK_ILLEGAL_TRANSITION';

/** The writeback domain's errors on the project's one error base (its `name` is the concrete class's). */
export abstract class CloseoutError<
  Code extends CloseoutErrorCode = CloseoutErrorCode,
> extends DomainError<Code> {
  protected constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
