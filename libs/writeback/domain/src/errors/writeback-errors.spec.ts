import {
  AmbiguousOutcomeError,
  CircuitOpenError,
  CloseoutError,
  ConflictError,
  MappingNotFoundError,
  RateLimitedError,
  TransientError,
  ValidationError,
  WireValidationError,
  WritebackError,
  isWritebackError,
} from '.';

describe('writeback error taxonomy', () => {
  it.each([
    [new TransientError('503 from core', { sent: true }), 'TRANSIENT', 'WRITEBACK_TRANSIENT', true],
    [new TransientError('connection refused', { sent: false }), 'TRANSIENT', 'WRITEBACK_TRANSIENT', false],
    [new RateLimitedError('429', { retryAfterMs: 2_000 }), 'RATE_LIMITED', 'WRITEBACK_RATE_LIMITED', true],
    [
      new ValidationError([{ path: 'payload.x', rule: 'is required' }]),
      'VALIDATION',
      'WRITEBACK_VALIDATION',
      false,
    ],
    [
      new ValidationError([{ path: 'wire.x', rule: 'bad' }], { sent: true, providerCode: '422' }),
      'VALIDATION',
      'WRITEBACK_VALIDATION',
      true,
    ],
    [
      new WireValidationError([{ path: 'wire.x', rule: 'bad' }]),
      'VALIDATION',
      'WRITEBACK_WIRE_INVALID',
      false,
    ],
    [
      new MappingNotFoundError('d', 'payment.post', '9', 'no such version'),
      'VALIDATION',
      'WRITEBACK_MAPPING_NOT_FOUND',
      false,
    ],
    [new AmbiguousOutcomeError('timeout after send'), 'AMBIGUOUS', 'WRITEBACK_AMBIGUOUS', true],
    [new ConflictError('idempotency_key_reused'), 'CONFLICT', 'WRITEBACK_CONFLICT', true],
    [new CircuitOpenError('core-banking-rest'), 'CIRCUIT_OPEN', 'WRITEBACK_CIRCUIT_OPEN', false],
  ] as const)('%s has class %s, code %s, sent=%s', (error, errorClass, code, sent) => {
    expect(error).toBeInstanceOf(WritebackError);
    expect(error).toBeInstanceOf(CloseoutError);
    expect(error).toBeInstanceOf(Error);
    expect(isWritebackError(error)).toBe(true);
    expect(error.errorClass).toBe(errorClass);
    expect(error.code).toBe(code);
    expect(error.sent).toBe(sent);
  });

  it('names the concrete class and keeps the provider’s code, Retry-After and cause', () => {
    const cause = new Error('socket hang up');
    const error = new RateLimitedError('throttled', {
      retryAfterMs: 1_500,
      providerCode: 'rate_limit',
      cause,
    });
    expect(error.name).toBe('RateLimitedError');
    expect(error.retryAfterMs).toBe(1_500);
    expect(error.providerCode).toBe('rate_limit');
    expect(error.cause).toBe(cause);
  });

  it('writes a validation message as path: rule for every issue', () => {
    const error = new ValidationError([
      { path: 'payload.amount.amountMinor', rule: 'must be an integer ≥ 1' },
      { path: 'payload.reference', rule: 'is required' },
    ]);
    expect(error.message).toBe(
      'payload.amount.amountMinor: must be an integer ≥ 1; payload.reference: is required',
    );
  });

  it('does not mistake a plain error for a writeback error', () => {
    expect(isWritebackError(new Error('x'))).toBe(false);
  });
});
