import { TriggerMappingTable, type TriggerMapping } from './trigger-mapping';

/**
 * Which workflow each upstream event type and version opens, and how that version's fields are read.
 * `mappingVersion` is `<eventType>@v<eventVersion>.<revision>`: bump the revision whenever an entry changes,
 * add an entry (never edit one in place) when upstream publishes a new event version. Reviewed like code.
 */
export const triggerMappings: readonly TriggerMapping[] = [
  // v1 predates the money rules: the amount was optional and already in minor units.
  {
    eventType: 'billing.payment_failed',
    eventVersion: 1,
    workflowId: 'failed-payment-recovery',
    mappingVersion: 'billing.payment_failed@v1.1',
    amount: { format: 'minor-units', from: 'amount', required: false },
  },
  // v2 carries the amount due as a decimal string; a failed payment always has one.
  {
    eventType: 'billing.payment_failed',
    eventVersion: 2,
    workflowId: 'failed-payment-recovery',
    mappingVersion: 'billing.payment_failed@v2.1',
    amount: { format: 'decimal-string', from: 'amountDue', required: true },
  },
  {
    eventType: 'collections.arrears_detected',
    eventVersion: 1,
    workflowId: 'payment-plan-setup',
    mappingVersion: 'collections.arrears_detected@v1.1',
    amount: { format: 'minor-units', from: 'amount', required: false },
  },
  {
    eventType: 'compliance.kyc_refresh_due',
    eventVersion: 1,
    workflowId: 'kyc-refresh',
    mappingVersion: 'compliance.kyc_refresh_due@v1.1',
    amount: { format: 'minor-units', from: 'amount', required: false },
  },
  {
    eventType: 'crm.mail_returned',
    eventVersion: 1,
    workflowId: 'address-update',
    mappingVersion: 'crm.mail_returned@v1.1',
    amount: { format: 'minor-units', from: 'amount', required: false },
  },
  {
    eventType: 'onboarding.documents_missing',
    eventVersion: 1,
    workflowId: 'document-collection',
    mappingVersion: 'onboarding.documents_missing@v1.1',
    amount: { format: 'minor-units', from: 'amount', required: false },
  },
];

export const TRIGGER_MAPPINGS = Symbol('trigger-ingest.trigger-mappings');

export const defaultTriggerMappings = (): TriggerMappingTable => new TriggerMappingTable(triggerMappings);
