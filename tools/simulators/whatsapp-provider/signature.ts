/**
 * TEST DOUBLE — part of the simulated WhatsApp Cloud API (tools/simulators/whatsapp-provider). Not production code.
 *
 * The signature Meta puts on webhook calls: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by
 * the app secret>`.
 */
import { createHmac } from 'node:crypto';

export function hubSignature(appSecret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
