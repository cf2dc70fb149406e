/**
 * One sample case per seed workflow: the upstream event that opens it and the action a customer takes, with the
 * parameters the workflow's rules accept. Shared by the end-to-end test and the benchmark.
 */
import { randomUUID } from 'node:crypto';
import type { MiniappAction } from '@closeout/contracts';

const SHA = 'a'.repeat(64);

export interface Sample {
  workflowId: string;
  eventType: string;
  amount?: { amountMinor: number; currency: string };
  attributes?: Record<string, string>;
  action: string;
  parameters: Record<string, string>;
}

export const FAILED_PAYMENT: Sample = {
  workflowId: 'failed-payment-recovery',
  eventType: 'billing.payment_failed',
  amount: { amountMinor: 4599, currency: 'GBP' },
  action: 'payment.bank_transfer',
  parameters: { paymentMethodToken: 'pm_tok_bank_1' },
};
export const PAYMENT_PLAN: Sample = {
  workflowId: 'payment-plan-setup',
  eventType: 'collections.arrears_detected',
  amount: { amountMinor: 100001, currency: 'GBP' },
  attributes: { arrearsDays: '45' },
  action: 'plan.choose',
  parameters: { installments: '3', firstDueDate: '2027-01-15' },
};
export const KYC_REFRESH: Sample = {
  workflowId: 'kyc-refresh',
  eventType: 'compliance.kyc_refresh_due',
  action: 'document.upload',
  parameters: { documentType: 'passport', documentRef: 'docs/kyc/passport-1.pdf', sha256: SHA },
};
export const ADDRESS_UPDATE: Sample = {
  workflowId: 'address-update',
  eventType: 'crm.mail_returned',
  action: 'address.confirm',
  parameters: { line1: '1 High Street', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
};
export const DOCUMENT_COLLECTION: Sample = {
  workflowId: 'document-collection',
  eventType: 'onboarding.documents_missing',
  action: 'document.upload',
  parameters: { documentType: 'proof_of_address', documentRef: 'docs/onboarding/poa-1.pdf', sha256: SHA },
};

/** The five, in the order the seed workflows are listed in apps/orchestrator/workflows. */
export const SAMPLES: Sample[] = [
  FAILED_PAYMENT,
  PAYMENT_PLAN,
  KYC_REFRESH,
  ADDRESS_UPDATE,
  DOCUMENT_COLLECTION,
];

/** What the mini-app publishes when a verified customer takes the sample's action on a case. */
export function customerAction(
  caseId: string,
  sample: Pick<Sample, 'workflowId' | 'action' | 'parameters'>,
  overrides: Partial<MiniappAction> = {},
): MiniappAction {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId: caseId,
    causationId: null,
    idempotencyKey: `act-${caseId}-${sample.action}`,
    caseId,
    workflowId: sample.workflowId,
    actionId: randomUUID(),
    action: sample.action,
    identityMethod: 'OTP_AND_KNOWN_FACT',
    consentRef: `consent-${caseId}`,
    sessionRef: `sess-${caseId}`,
    parameters: sample.parameters,
    ...overrides,
  };
}
