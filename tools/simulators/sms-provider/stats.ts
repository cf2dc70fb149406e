/**
 * TEST DOUBLE — part of the simulated Twilio-compatible SMS provider (tools/simulators/sms-provider). Not
 * production code.
 *
 * What a checker asks after a run: how send requests ended, whether the same text went to the same number more
 * than once (keyed by recipient and a hash of the body: the API has no idempotency key), whether the client came
 * back before the Retry-After it was given, and how the webhooks the provider POSTed were answered.
 */
import { MessageSendStats, type MessageSendSnapshot, type WebhookCounts } from '@closeout/simulators/shared';

export const SEND_OUTCOMES = [
  'accepted',
  'invalid',
  'unsubscribed',
  'unauthorized',
  'rate_limited',
  'error_5xx',
  'accepted_no_answer',
  'foreign_answer',
] as const;

export type SendOutcome = (typeof SEND_OUTCOMES)[number];

export interface SmsProviderStats extends MessageSendSnapshot<SendOutcome> {
  statusCallbacks: WebhookCounts;
  inboundWebhooks: WebhookCounts;
}

export class StatsRecorder extends MessageSendStats<SendOutcome> {
  constructor() {
    super(SEND_OUTCOMES);
  }

  override snapshot(): SmsProviderStats {
    return {
      ...this.sendCounts(),
      statusCallbacks: { ...this.statusWebhooks },
      inboundWebhooks: { ...this.inboundWebhooks },
    };
  }
}
