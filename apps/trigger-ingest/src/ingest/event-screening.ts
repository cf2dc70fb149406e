import { containsPan, maskContactPoints, maskPans } from '@closeout/privacy';
import { CARD_NUMBER_RULE } from './field-rules';
import { TriggerRefusedError, type FieldProblem } from './trigger-refused.error';
import type { UpstreamEnvelope } from './upstream-envelope';

/**
 * Attributes a workflow declares as contact points, kept unmasked. No workflow definition in libs/workflow/domain
 * declares contact fields today, so every attribute's e-mail addresses and phone numbers are masked.
 */
export const CONTACT_ATTRIBUTES: ReadonlySet<string> = new Set();

export interface ScreenedEvent {
  event: UpstreamEnvelope;
  /** Free-text fields whose card numbers or contact points were masked, by name (`attributes.note`). */
  masked: string[];
}

/**
 * A card number in an identifier is refused: an id is stored, keyed on and published as is, so it cannot be masked.
 * So is one in the contact block's e-mail address or consent labels, published as is to customer.contact.v1.
 */
export function cardNumberProblems(event: UpstreamEnvelope): FieldProblem[] {
  const ids: Array<[string, string | undefined]> = [
    ['sourceSystem', event.sourceSystem],
    ['eventId', event.eventId],
    ['eventType', event.eventType],
    ['customer.customerId', event.customer.customerId],
    ['customer.accountId', event.customer.accountId],
    // customer.contact.v1 may hold contact points, never a card number.
    ['customer.contact.email', event.customer.contact?.email],
    ...(event.customer.contact?.consents ?? []).flatMap((consent, index): Array<[string, string]> => [
      [`customer.contact.consents.${index}.purpose`, consent.purpose],
      [`customer.contact.consents.${index}.source`, consent.source],
    ]),
  ];
  return ids
    .filter(([, value]) => value !== undefined && containsPan(value))
    .map(([field]) => ({ field, rule: CARD_NUMBER_RULE }));
}

/**
 * Screens every string of a validated event: card numbers in identifiers refuse it; card numbers (and contact
 * points, outside declared contact fields) in free text are masked before anything stores or publishes them.
 */
export function screenEvent(event: UpstreamEnvelope): ScreenedEvent {
  const problems = cardNumberProblems(event);
  if (problems.length > 0) throw new TriggerRefusedError('TRIGGER_INVALID', problems);
  const masked: string[] = [];
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.attributes)) {
    let screened = maskPans(value);
    if (!CONTACT_ATTRIBUTES.has(key)) screened = maskContactPoints(screened);
    if (screened !== value) masked.push(`attributes.${key}`);
    attributes[key] = screened;
  }
  return { event: { ...event, attributes }, masked };
}

/** True when a refusal is for a card number: the event's bytes must then not be kept anywhere (a DLQ included). */
export const refusedForCardNumber = (error: TriggerRefusedError): boolean =>
  error.problems.some((p) => p.rule === CARD_NUMBER_RULE);
