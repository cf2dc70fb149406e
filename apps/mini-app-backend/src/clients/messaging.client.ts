/**
 * Messaging's internal API: a one-time code sent on the link's channel, and the customer's opt-out of the link's
 * purpose. The code is in the request body only; it is never logged here.
 */
import { z } from '@closeout/config';
import { callJson } from './bounded-json';

const codeSentSchema = z.object({
  channel: z.enum(['SMS', 'EMAIL', 'WHATSAPP']),
  sentTo: z.string().min(1).max(64),
});
const optOutSchema = z.object({ optedOut: z.literal(true), alreadyOptedOut: z.boolean() });

export type CodeSent = z.infer<typeof codeSentSchema>;

export interface MessagingClientSettings {
  baseUrl: string;
  token: string;
  timeoutMs: number;
}

export class MessagingClient {
  constructor(private readonly settings: MessagingClientSettings) {}

  async sendOneTimeCode(tokenSha256: string, code: string): Promise<CodeSent> {
    const { value } = await callJson({
      upstream: 'messaging',
      url: `${this.settings.baseUrl}/internal/v1/links/${tokenSha256}/one-time-code`,
      urlTemplate: '/internal/v1/links/{tokenSha256}/one-time-code',
      method: 'POST',
      token: this.settings.token,
      body: { code },
      timeoutMs: this.settings.timeoutMs,
      maxBytes: 1024,
      ok: [202],
      schema: codeSentSchema,
    });
    return value;
  }

  /** `mini-app`: "stop messages" in a session; `list-unsubscribe`: an email's one-click link (RFC 8058). */
  async optOut(
    tokenSha256: string,
    source: 'mini-app' | 'list-unsubscribe' = 'mini-app',
  ): Promise<{ alreadyOptedOut: boolean }> {
    const { value } = await callJson({
      upstream: 'messaging',
      url: `${this.settings.baseUrl}/internal/v1/links/${tokenSha256}/opt-out`,
      urlTemplate: '/internal/v1/links/{tokenSha256}/opt-out',
      method: 'POST',
      token: this.settings.token,
      body: { source },
      timeoutMs: this.settings.timeoutMs,
      maxBytes: 1024,
      ok: [200],
      schema: optOutSchema,
    });
    return value;
  }
}
