/**
 * WhatsApp's customer-service window: a free-form message only within 24 hours of the customer's last inbound
 * message; outside it, an approved template or nothing. A margin keeps a free-form decision from reaching the
 * provider after the window has closed.
 */

export const WHATSAPP_SESSION_MS = 24 * 60 * 60 * 1000;
/** Free-form stops this long before the 24 hours are up. */
export const WHATSAPP_SESSION_MARGIN_MS = 10 * 60 * 1000;

export type WhatsAppMessageMode = 'free-form' | 'approved-template';

/** How a WhatsApp message may be sent at `now`, given when the customer last wrote (ms since epoch), if ever. */
export function whatsappMessageMode(input: { now: number; lastInboundAt?: number }): WhatsAppMessageMode {
  const last = input.lastInboundAt;
  if (last === undefined || last > input.now) return 'approved-template';
  return input.now < last + WHATSAPP_SESSION_MS - WHATSAPP_SESSION_MARGIN_MS
    ? 'free-form'
    : 'approved-template';
}
