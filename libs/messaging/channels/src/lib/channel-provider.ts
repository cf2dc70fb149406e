/**
 * The one port every messaging channel provider implements (email over SMTP, SMS through a Twilio-compatible API,
 * WhatsApp through the Cloud API): send a rendered message, look up what became of one, and verify and read the
 * provider's webhooks (delivery receipts, inbound replies). A factory picks the provider by channel and
 * configuration; the messaging service never speaks a provider's protocol itself.
 *
 * A provider's answer is evidence, not truth: adapters bound what they read, check that what comes back names the
 * message that was sent, and answer `unknown` when the provider may have taken a message without saying so (a
 * timeout after the request left) — the service then asks `lookup` instead of sending again.
 */

export type Channel = 'SMS' | 'EMAIL' | 'WHATSAPP';

/** A rendered message for one recipient. Contact points are personal data: adapters never log `to` or the body. */
export interface OutboundMessage {
  /** Ours, stable per (outreach id, attempt): the provider-side reference or idempotency key where it has one. */
  messageId: string;
  channel: Channel;
  /** E.164 phone number (SMS, WhatsApp) or e-mail address. */
  to: string;
  /** Email only. */
  subject?: string;
  /** The plain-text body (SMS, WhatsApp free-form, the text part of an email). */
  text: string;
  /** Email only: the HTML part. */
  html?: string;
  /** WhatsApp only: an approved template, required outside the 24-hour customer-service window. */
  template?: { name: string; language: string; parameters: readonly string[] };
  /** Email: List-Unsubscribe (and List-Unsubscribe-Post one-click) target. */
  unsubscribeUrl?: string;
}

export type SendOutcome =
  /** The provider took the message and named it. */
  | { kind: 'accepted'; providerRef: string }
  /** The provider refused it; `permanent` means sending it again cannot help (bad number, opted out at carrier). */
  | { kind: 'rejected'; permanent: boolean; reason: string; retryAfterMs?: number }
  /** The request may have been taken (timeout after sending, a connection cut mid-answer, an answer that does not
   *  name this message): resolve with `lookup`, never by sending again. */
  | { kind: 'unknown'; reason: string };

export type DeliveryState = 'QUEUED' | 'SENT' | 'DELIVERED' | 'UNDELIVERED' | 'FAILED' | 'READ';

export interface DeliveryStatus {
  providerRef: string;
  state: DeliveryState;
  /** When the provider says it happened (ms since epoch). */
  at: number;
  /** The provider's error code for UNDELIVERED/FAILED, bounded; never message content. */
  errorCode?: string;
}

export type LookupResult =
  | { kind: 'found'; status: DeliveryStatus }
  | { kind: 'not-found' }
  /** The provider could not say (down, no lookup in its protocol): ask again later. */
  | { kind: 'inconclusive'; reason: string };

/** A webhook call as received: the exact URL the provider signed and the raw body bytes. */
export interface WebhookRequest {
  url: string;
  headers: Readonly<Record<string, string | undefined>>;
  rawBody: Buffer;
}

export type WebhookEvent =
  /** `messageId` is ours when the provider echoes it (a callback URL, opaque callback data): the link from a status
   *  back to a send whose outcome was unknown, which has no providerRef yet. */
  | ({ kind: 'status'; messageId?: string } & DeliveryStatus)
  /** A customer's reply; `from` is a contact point (personal data). */
  | { kind: 'inbound'; from: string; text: string; providerRef: string; at: number };

export interface ChannelProvider {
  readonly channel: Channel;
  /** The provider's configured name, for metrics and audit (never a secret). */
  readonly name: string;
  send(message: OutboundMessage): Promise<SendOutcome>;
  lookup(ref: { messageId: string; providerRef?: string }): Promise<LookupResult>;
  /** Whether the request carries this provider's valid signature; false for a forged, missing or stale one. */
  verifyWebhook(request: WebhookRequest): boolean;
  /** The events of a verified webhook call; throws a DomainError naming the field when the body cannot be read. */
  parseWebhook(request: WebhookRequest): WebhookEvent[];
}
