import { z } from 'zod';

/**
 * The bounds and character rules every upstream event's fields are held to, over HTTP and Kafka alike. Rules name
 * what is expected and never quote what was sent: a refusal travels into problem bodies, DLQ headers and audit events.
 */

/** Identifiers (source system, event id, customer and account ids, event type): a conservative charset. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const ID_RULE = 'must be 1–128 characters of letters, digits and . _ : -';

/** Attribute names: a letter, then letters, digits and . _ - (64 at most). */
export const ATTRIBUTE_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
export const MAX_ATTRIBUTES = 50;
export const MAX_FREE_TEXT = 1024;

/** Amounts in minor units are at most 10^15 − 1: below 2^50, where every integer and a fraction are still told apart. */
export const MAX_AMOUNT_MINOR = 999_999_999_999_999;

/** `occurredAt` may be at most this far in the past (an upstream replaying old history) or in the future (clock skew). */
export const MAX_EVENT_AGE_MS = 10 * 366 * 24 * 3600 * 1000;
export const MAX_EVENT_LEAD_MS = 24 * 3600 * 1000;

export const CARD_NUMBER_RULE = 'must not contain a card number';

// C0 and C1 controls (NUL included) and DEL: PostgreSQL refuses U+0000, and none belongs in free text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Free text: well-formed UTF-16 (no lone surrogates), no control characters, bounded. */
export function freeTextProblem(text: string, max = MAX_FREE_TEXT): string | undefined {
  if (text.length > max) return `must be at most ${max} characters`;
  if (CONTROL.test(text)) return 'must not contain control characters (NUL included)';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

export const idSchema = (what: string) =>
  z.string(`must be a string: ${what}`).regex(ID_PATTERN, `${ID_RULE} (${what})`);

export const freeTextSchema = (max = MAX_FREE_TEXT) =>
  z.string('must be a string').superRefine((text, ctx) => {
    const problem = freeTextProblem(text, max);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** ISO 4217 alphabetic code: three capital letters (whether this service knows it is the amount's rule). */
export const currencySchema = z.string('must be a string').regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code');
