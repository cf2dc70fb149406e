import type { SendOutcome } from '../channel-provider';

/**
 * How far one SMTP exchange got before it ended:
 * - `session`: connecting, the greeting, EHLO, STARTTLS, AUTH — nothing about this message was said yet;
 * - `envelope`: MAIL FROM, RCPT TO, DATA, until the server answered DATA with 354 — the message's content never left;
 * - `data`: the message's content was being (or had been) sent — the server may have taken it.
 */
export type SmtpStage = 'session' | 'envelope' | 'data';

export type SmtpExchange =
  /** The server answered the end of the data with a 2xx. */
  | { kind: 'accepted' }
  /**
   * The exchange ended without a 2xx: `responseCode` is the server's reply code when it gave one; a connection cut,
   * a refused connection, a TLS failure or a timeout has none (`code` is nodemailer's: ECONNECTION, ETIMEDOUT, …).
   */
  | { kind: 'failed'; stage: SmtpStage; responseCode?: number | undefined; code?: string | undefined };

/** RFC 4954: the relay wants AUTH before MAIL FROM — our configuration, not the message. */
const AUTHENTICATION_REQUIRED = 530;

/** `451 4.3.0`: the reply code and the enhanced status code of a reply; never its text, which may quote an address. */
export function replyCodes(
  response: string | undefined,
  responseCode: number | undefined,
): string | undefined {
  if (responseCode === undefined) return undefined;
  const enhanced = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(response ?? '')?.[1];
  return enhanced ? `${responseCode} ${enhanced}` : String(responseCode);
}

/**
 * What an SMTP exchange means for the message (the port's `SendOutcome`, less the accepted message's reference):
 *
 * - a 2xx at the end of the data: accepted;
 * - a reply to the envelope or the data: 4xx rejected, not permanent (retry after `retryAfterMs`); 5xx rejected,
 *   permanent (the same message to the same recipient would be refused again);
 * - a reply refusing the session (greeting, EHLO, STARTTLS, AUTH) says nothing about this message — the relay or our
 *   own configuration is at fault: rejected, not permanent, whatever its code; so is `530` (authentication required)
 *   to the envelope;
 * - no reply, before the message's content was sent (connection refused, cut or timed out during the session or the
 *   envelope): the server cannot have taken a message it never received: rejected, not permanent;
 * - no reply once the content was being sent (a cut or a timeout after DATA): the server may have taken it and its
 *   answer was lost: unknown. SMTP has no status lookup, so the service decides what an unknown email becomes.
 */
export function classifySmtpExchange(
  exchange: SmtpExchange,
  options: { retryAfterMs: number; reply?: string | undefined },
): { kind: 'accepted' } | Exclude<SendOutcome, { kind: 'accepted' }> {
  if (exchange.kind === 'accepted') return { kind: 'accepted' };
  const { stage, responseCode, code } = exchange;
  const codes = replyCodes(options.reply, responseCode);
  const retryable = (reason: string) =>
    ({ kind: 'rejected', permanent: false, reason, retryAfterMs: options.retryAfterMs }) as const;

  if (responseCode !== undefined && responseCode >= 400 && responseCode <= 599) {
    if (stage === 'session') return retryable(`SMTP session refused with ${codes}`);
    if (responseCode === AUTHENTICATION_REQUIRED)
      return retryable(`SMTP ${stage} refused with ${codes}: the relay wants AUTH`);
    if (responseCode < 500) return retryable(`SMTP ${stage} refused with ${codes} (temporary)`);
    return { kind: 'rejected', permanent: true, reason: `SMTP ${stage} refused with ${codes}` };
  }
  const what = responseCode !== undefined ? `an unexpected reply ${codes}` : (code ?? 'a connection failure');
  if (stage === 'data') {
    return {
      kind: 'unknown',
      reason: `SMTP ${what} after the message data was sent: the server may have taken it`,
    };
  }
  return retryable(`SMTP ${what} during the ${stage}, before the message data was sent`);
}
