import { idempotencyKey } from './idempotency-key';

const action = {
  customerId: 'CUST-000981',
  workflowId: 'failed-payment-recovery',
  operation: 'payment.post' as const,
  sequence: 1,
};

describe('idempotencyKey', () => {
  it('is wb_ plus lower-case unpadded base32 of a SHA-256 (55 characters)', () => {
    expect(idempotencyKey(action)).toMatch(/^wb_[a-z2-7]{52}$/);
  });

  it('is deterministic: the same business action always gets the same key', () => {
    expect(idempotencyKey({ ...action })).toBe(idempotencyKey(action));
    expect(
      idempotencyKey({
        sequence: 1,
        operation: 'payment.post',
        workflowId: 'failed-payment-recovery',
        customerId: 'CUST-000981',
      }),
    ).toBe(idempotencyKey(action));
  });

  it('pins the derivation, so keys of actions already in flight never change', () => {
    // Computed outside the code under test (Python: base64.b32encode(sha256(document)).lower().rstrip('=')) over
    // {"customerId":"CUST-000981","operation":"payment.post","sequence":1,"v":1,"workflowId":"failed-payment-recovery"}
    expect(idempotencyKey(action)).toBe('wb_5j6dmcq4woyokvi6ppom5sndu4ykhezp5cqe3bcsaxcsumfkjy3a');
  });

  it.each([
    ['customer', { ...action, customerId: 'CUST-000982' }],
    ['workflow', { ...action, workflowId: 'payment-plan-setup' }],
    ['operation', { ...action, operation: 'arrangement.create' as const }],
    ['sequence', { ...action, sequence: 2 }],
    ['sequence type', { ...action, sequence: '1' }],
  ])('differs when the %s differs', (_what, other) => {
    expect(idempotencyKey(other)).not.toBe(idempotencyKey(action));
  });

  it('cannot be made to collide by moving a separator between fields', () => {
    expect(idempotencyKey({ ...action, customerId: 'a|b', workflowId: 'c' })).not.toBe(
      idempotencyKey({ ...action, customerId: 'a', workflowId: 'b|c' }),
    );
  });

  it('refuses empty parts and negative or fractional sequences', () => {
    expect(() => idempotencyKey({ ...action, customerId: '' })).toThrow(
      'customerId must be a non-empty string',
    );
    expect(() => idempotencyKey({ ...action, sequence: -1 })).toThrow('sequence must be');
    expect(() => idempotencyKey({ ...action, sequence: 1.5 })).toThrow('sequence must be');
    expect(() => idempotencyKey({ ...action, sequence: '' })).toThrow('sequence must be');
  });
});
