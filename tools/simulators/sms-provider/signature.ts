/**
 * TEST DOUBLE — part of the simulated Twilio-compatible SMS provider (tools/simulators/sms-provider). Not
 * production code.
 *
 * Twilio's request signature, written from its documentation rather than taken from its SDK so the adapter's use
 * of the SDK is checked against a second implementation: the full URL the request goes to (query string included),
 * then each POST parameter's name and value in name order, no separators; HMAC-SHA1 keyed by the AuthToken; base64.
 */
import { createHmac } from 'node:crypto';

export function twilioSignature(authToken: string, url: string, params: readonly [string, string][]): string {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const data = url + sorted.map(([name, value]) => name + value).join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}
