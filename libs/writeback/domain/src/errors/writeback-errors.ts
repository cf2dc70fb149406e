import type { WritebackErrorClass, WritebackStatus } from '@closeout/contracts';
import { CloseoutError, type CloseoutErrorCode } from './closeout-error';

export interface WritebackErrorOptions {
  /** The destination's own error code or fault string, kept for the audit trail and the exception queue. */
  providerCode?: string;
  /** How long the destination asked us to wait (already converted from seconds or an HTTP date). */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A failed writeback attempt, classified. Adapters translate protocol failures (HTTP status, socket errors, SOAP
 * faults, batch receipts) into one of the subclasses below; the retry policy decides what happens next from
 * `errorClass` alone, so no adapter decides retry-or-not on its own.
 */
export abstract class WritebackError extends CloseoutError {
  abstract readonly errorClass: WritebackErrorClass;
  /**
   * Whether the request may have reached the destination. `false` means it certainly did not (refused before
   * sending, connection failed before the request was written), so re-sending cannot create a duplicate.
   */
  abstract readonly sent: boolean;
  readonly providerCode: string | undefined;
  readonly retryAfterMs: number | undefined;

  protected constructor(code: CloseoutErrorCode, message: string, options: WritebackErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.providerCode = options.providerCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx, connection reset, timeout before the request was sent: safe to send again later. */
export class TransientError extends WritebackError {
  readonly errorClass = 'TRANSIENT' as const;
  readonly sent: boolean;

  constructor(message: string, options: WritebackErrorOptions & { sent: boolean }) {
    super('WRITEBACK_TRANSIENT', message, options);
    this.sent = options.sent;
  }
}

/** 429 or a throttling fault: the destination answered, did not apply the request, and said when to come back. */
export class RateLimitedError extends WritebackError {
  readonly errorClass = 'RATE_LIMITED' as const;
  readonly sent = true;

  constructor(message: string, options: WritebackErrorOptions = {}) {
    super('WRITEBACK_RATE_LIMITED', message, options);
  }
}

export interface ValidationIssue {
  /** Dotted path from the document root, e.g. `payload.amount.amountMinor` or `wire.account_number`. */
  path: string;
  /** The rule that was broken, e.g. `must be an integer ≥ 1`. */
  rule: string;
}

/**
 * The request can never succeed as it is: a canonical payload that breaks the contract, a wire payload the mapping
 * got wrong, or a 4xx / schema fault from the destination. Never retried; routed to correction.
 */
export class ValidationError extends WritebackError {
  readonly errorClass = 'VALIDATION' as const;
  readonly sent: boolean;
  readonly issues: readonly ValidationIssue[];

  constructor(
    issues: readonly ValidationIssue[],
    options: WritebackErrorOptions & {
      sent?: boolean;
      code?: 'WRITEBACK_VALIDATION' | 'WRITEBACK_WIRE_INVALID' | 'WRITEBACK_MAPPING_NOT_FOUND';
    } = {},
  ) {
    super(
      options.code ?? 'WRITEBACK_VALIDATION',
      issues.map((i) => `${i.path}: ${i.rule}`).join('; '),
      options,
    );
    this.issues = issues;
    this.sent = options.sent ?? false;
  }
}

/** Our own mapping produced a wire payload that breaks the destination's schema; caught before sending. */
export class WireValidationError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super(issues, { code: 'WRITEBACK_WIRE_INVALID', sent: false });
  }
}

/** No mapping is registered for (destination, operation, version). */
export class MappingNotFoundError extends ValidationError {
  constructor(
    readonly destination: string,
    readonly operation: string,
    readonly version: string,
    detail: string,
  ) {
    super([{ path: 'mappingVersion', rule: detail }], { code: 'WRITEBACK_MAPPING_NOT_FOUND', sent: false });
  }
}

/**
 * The request was sent and we cannot tell whether it was applied: a timeout after the request was written, a
 * connection dropped before the answer, a gateway timeout, an ambiguous fault. Resolved by asking the destination
 * (lookup by idempotency key or provider reference), never by sending again blind.
 */
export class AmbiguousOutcomeError extends WritebackError {
  readonly errorClass = 'AMBIGUOUS' as const;
  readonly sent = true;

  constructor(message: string, options: WritebackErrorOptions = {}) {
    super('WRITEBACK_AMBIGUOUS', message, options);
  }
}

/**
 * The destination holds a different request under the same idempotency key (e.g. `422 idempotency_key_reused`).
 * Same-key-different-fingerprint detected by our own ledger is not an attempt failure: it becomes its own
 * `REJECTED_CONFLICT` record (see status-machine.ts).
 */
export class ConflictError extends WritebackError {
  readonly errorClass = 'CONFLICT' as const;
  readonly sent = true;

  constructor(message: string, options: WritebackErrorOptions = {}) {
    super('WRITEBACK_CONFLICT', message, options);
  }
}

/** The destination's circuit breaker is open: nothing was sent; the row waits in the ledger. */
export class CircuitOpenError extends WritebackError {
  readonly errorClass = 'CIRCUIT_OPEN' as const;
  readonly sent = false;

  constructor(
    readonly destination: string,
    options: WritebackErrorOptions = {},
  ) {
    super('WRITEBACK_CIRCUIT_OPEN', `circuit open for destination ${destination}: request not sent`, options);
  }
}

/** A state change the status machine forbids, e.g. UNKNOWN → IN_FLIGHT (a blind re-send). A programming error. */
export class IllegalTransitionError extends CloseoutError<'WRITEBACK_ILLEGAL_TRANSITION'> {
  constructor(
    readonly from: WritebackStatus,
    readonly to: WritebackStatus,
    reason: string,
  ) {
    super('WRITEBACK_ILLEGAL_TRANSITION', `illegal writeback transition ${from} → ${to}: ${reason}`);
  }
}

export function isWritebackError(error: unknown): error is WritebackError {
  return error instanceof WritebackError;
}
