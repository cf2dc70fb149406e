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

export abstract class CloseoutError<Code extends CloseoutErrorCode = CloseoutErrorCode> extends Error {
  readonly code: Code;

  protected constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // The concrete class name, so logs and stack traces say `RateLimitedError`, not `Error`.
    this.name = new.target.name;
  }
}
