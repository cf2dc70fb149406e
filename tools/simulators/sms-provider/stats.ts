/**
 * TEST DOUBLE — part of the simulated Twilio-compatible SMS provider (tools/simulators/sms-provider). Not
 * production code.
 *
 * What a checker asks after a run: how send requests ended, whether the same text went to the same number more
 * than once (keyed by recipient and a hash of the body: the API has no idempotency key), whether the client came
 * back before the Retry-After it was given, and how the webhooks the provider POSTed were answered.
 */
import { createHash } from 'node:crypto';
import { ClientBehaviourStats, type ClientBehaviourSnapshot } from '@closeout/simulators/shared';
import { FAULT_MODES, type FaultMode } from './faults';

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

export interface WebhookCounts {
  posted: number;
  /** Answered 2xx. */
  acknowledged: number;
  /** Answered otherwise, or not at all. */
  refused: number;
}

export interface SmsProviderStats extends ClientBehaviourSnapshot<FaultMode> {
  sends: number;
  sendsByOutcome: Record<SendOutcome, number>;
  statusCallbacks: WebhookCounts;
  inboundWebhooks: WebhookCounts;
}

/** The duplicate-send key of a message: recipient and a short hash of its body. */
export function contentKey(to: string, body: string): string {
  return `${to}#${createHash('sha256').update(body).digest('hex').slice(0, 12)}`;
}

export class StatsRecorder extends ClientBehaviourStats<SendOutcome, FaultMode> {
  private sends = 0;
  readonly statusCallbacks: WebhookCounts = { posted: 0, acknowledged: 0, refused: 0 };
  readonly inboundWebhooks: WebhookCounts = { posted: 0, acknowledged: 0, refused: 0 };

  constructor() {
    super(SEND_OUTCOMES, FAULT_MODES);
  }

  arrived(key: string | null, now: number): void {
    this.sends += 1;
    this.writeArrived(key, now);
  }

  override snapshot(): SmsProviderStats {
    return {
      sends: this.sends,
      sendsByOutcome: this.outcomeCounts(),
      ...super.snapshot(),
      statusCallbacks: { ...this.statusCallbacks },
      inboundWebhooks: { ...this.inboundWebhooks },
    };
  }
}
