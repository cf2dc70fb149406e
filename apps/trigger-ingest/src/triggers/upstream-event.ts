import { z } from 'zod';

/** An upstream billing/collections event as it arrives over HTTP (JSON). */
export const upstreamEventSchema = z.object({
  sourceSystem: z.string().min(1, 'must name the publishing system'),
  eventId: z.string().min(1, 'must be the upstream event id (the dedupe key)'),
  eventType: z.string().min(1),
  occurredAt: z.iso.datetime({ message: 'must be an ISO 8601 timestamp with offset' }),
  customer: z.object({
    customerId: z.string().min(1),
    accountId: z.string().min(1).optional(),
    locale: z.string().optional(),
    timeZone: z.string().optional(),
  }),
  amount: z
    .object({
      amountMinor: z.number().int('must be an integer number of minor units').nonnegative(),
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
    })
    .optional(),
  attributes: z.record(z.string(), z.string()).default({}),
});

export type UpstreamEvent = z.infer<typeof upstreamEventSchema>;

/** Which workflow an upstream event type opens, and the version of that mapping. */
export interface TriggerMapping {
  eventType: string;
  workflowId: string;
  mappingVersion: string;
}

export const triggerMappings: TriggerMapping[] = [
  { eventType: 'billing.payment_failed', workflowId: 'failed-payment-recovery', mappingVersion: '1' },
  { eventType: 'collections.arrears_detected', workflowId: 'payment-plan-setup', mappingVersion: '1' },
  { eventType: 'compliance.kyc_refresh_due', workflowId: 'kyc-refresh', mappingVersion: '1' },
  { eventType: 'crm.mail_returned', workflowId: 'address-update', mappingVersion: '1' },
  { eventType: 'onboarding.documents_missing', workflowId: 'document-collection', mappingVersion: '1' },
];
