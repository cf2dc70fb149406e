import { randomUUID } from 'node:crypto';
import type { WritebackRequested } from '@closeout/contracts';
import { CONTRACT_VERSION, idempotencyKey } from '@closeout/writeback-domain';

/**
 * A contract-valid `payment.post` request for the `core-banking-rest` destination, keyed the way production keys
 * are (customer, workflow, operation, sequence): the same `n` and customer always give the same key. For tests, the
 * fault-and-crash harness and benchmarks.
 */
export function samplePaymentRequest(
  n: number,
  overrides: Partial<WritebackRequested> & { customerId?: string; amountMinor?: number } = {},
): WritebackRequested {
  const { customerId = `cust-${n % 997}`, amountMinor = 1_000 + (n % 50_000), ...rest } = overrides;
  const caseId = rest.caseId ?? `case-${n}`;
  const now = Date.now();
  return {
    eventId: randomUUID(),
    occurredAt: now,
    correlationId: `corr-${caseId}`,
    causationId: null,
    idempotencyKey: idempotencyKey({
      customerId,
      workflowId: 'failed-payment-recovery',
      operation: 'payment.post',
      sequence: n,
    }),
    destination: 'core-banking-rest',
    protocol: 'REST',
    operation: 'payment.post',
    caseId,
    workflowId: 'failed-payment-recovery',
    contractVersion: CONTRACT_VERSION,
    mappingVersion: '1',
    payloadJson: JSON.stringify({
      accountId: `40${String(n % 100_000_000).padStart(8, '0')}`,
      amount: { amountMinor, currency: 'GBP' },
      paymentMethodToken: `pm_tok_${customerId}`,
      reference: `CLOSEOUT-${caseId}`.slice(0, 64),
    }),
    consentRef: `consent-${caseId}`,
    requestedAt: now,
    ...rest,
  };
}
