import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ID_PATTERN, MAX_EVENT_LEAD_MS } from './field-rules';

/**
 * `customer.contact`: the customer's contact points, time zone, locale and consent statements as the system of record
 * states them with a trigger. They go to customer.contact.v1 (for messaging) and nowhere else: not into
 * case.triggered.v1, the source event row or the audit trail. Every rule names what is expected and never quotes the
 * value: a refusal travels into problem bodies, DLQ headers and audit events.
 */

/** RFC 5321's limits: 254 characters in all, 64 before the @. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_EMAIL_LOCAL_PART = 64;
/** A phone number as written: `+`, then digits, spaces, dots, hyphens and brackets (an extension or letters never). */
const PHONE_AS_WRITTEN = /^\+[0-9 ().-]{1,31}$/;
export const MAX_TIME_ZONE_LENGTH = 64;
export const MAX_LOCALE_LENGTH = 35;
/** A BCP 47 tag's shape (language, then subtags), checked before the runtime canonicalises it. */
const LOCALE_SHAPE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,5}$/;
export const MAX_CONSENTS = 32;
export const CONSENT_CHANNELS = ['SMS', 'EMAIL', 'WHATSAPP'] as const;
/** A consent's `purpose` and `source` are short labels (`collections`, `online-banking`): the id rule. */
const LABEL_RULE = 'must be 1–128 characters of letters, digits and . _ : -';

const EMAIL = z.email();

const emailSchema = z.string('must be an e-mail address').superRefine((email, ctx) => {
  if (email.length > MAX_EMAIL_LENGTH) {
    ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_EMAIL_LENGTH} characters` });
  } else if (email.lastIndexOf('@') > MAX_EMAIL_LOCAL_PART) {
    ctx.addIssue({
      code: 'custom',
      message: `must have at most ${MAX_EMAIL_LOCAL_PART} characters before the @`,
    });
  } else if (!EMAIL.safeParse(email).success) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an e-mail address: a local part, @ and a domain with a dot',
    });
  }
});

/** The E.164 form of a phone number written in international form, or the rule it breaks. */
export function normalisePhone(text: string): { e164: string } | { rule: string } {
  if (!PHONE_AS_WRITTEN.test(text)) {
    return {
      rule: 'must be a phone number in international form: + and the country code, at most 32 characters',
    };
  }
  try {
    const parsed = parsePhoneNumberWithError(text);
    if (parsed.isValid()) return { e164: parsed.number };
  } catch {
    // A ParseError (no country code, too short, too long): the rule below says what is expected.
  }
  return { rule: 'must be a valid phone number for its country code' };
}

const phoneSchema = z.string('must be a phone number in international form').transform((text, ctx) => {
  const phone = normalisePhone(text);
  if ('e164' in phone) return phone.e164;
  ctx.addIssue({ code: 'custom', message: phone.rule });
  return z.NEVER;
});

/** An IANA zone name (`Europe/London`), as the runtime spells it. */
const timeZoneSchema = z.string('must be an IANA time zone').transform((zone, ctx) => {
  if (zone.length === 0 || zone.length > MAX_TIME_ZONE_LENGTH || !IANAZone.isValidZone(zone)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an IANA time zone such as Europe/London (at most ${MAX_TIME_ZONE_LENGTH} characters)`,
    });
    return z.NEVER;
  }
  // IANAZone accepts any letter case; the canonical name is what messaging compares.
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
});

/** A BCP 47 language tag (`en-GB`), canonicalised (`EN-gb` → `en-GB`). */
const localeSchema = z.string('must be a BCP 47 language tag').transform((tag, ctx) => {
  if (tag.length <= MAX_LOCALE_LENGTH && LOCALE_SHAPE.test(tag)) {
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical) return canonical;
    } catch {
      // A RangeError: not a well-formed tag.
    }
  }
  ctx.addIssue({
    code: 'custom',
    message: `must be a BCP 47 language tag such as en-GB (at most ${MAX_LOCALE_LENGTH} characters)`,
  });
  return z.NEVER;
});

const labelSchema = z.string(`must be a string: ${LABEL_RULE}`).regex(ID_PATTERN, LABEL_RULE);

const statedAtSchema = z
  .string('must be an ISO 8601 timestamp with offset')
  .max(40, 'must be an ISO 8601 timestamp with offset')
  .pipe(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with offset' }))
  .refine(
    // An unreadable timestamp is the ISO rule's problem alone (zod runs refinements after a failed pipe too).
    (at) => !(Date.parse(at) > Date.now() + MAX_EVENT_LEAD_MS),
    'must be at most 24 hours ahead',
  )
  // Milliseconds, like occurredAt: the same instant reads alike whatever its offset or channel.
  .transform((at) => Date.parse(at));

const consentSchema = z.strictObject(
  {
    channel: z.enum(CONSENT_CHANNELS, `must be one of ${CONSENT_CHANNELS.join(', ')}`),
    purpose: labelSchema,
    granted: z.boolean('must be true (granted) or false (revoked)'),
    source: labelSchema,
    statedAt: statedAtSchema,
  },
  'must be an object with channel, purpose, granted, source and statedAt',
);

export const contactBlockSchema = z
  .strictObject(
    {
      email: emailSchema.optional(),
      phone: phoneSchema.optional(),
      timeZone: timeZoneSchema.optional(),
      locale: localeSchema.optional(),
      consents: z
        .array(consentSchema, 'must be a list of consent statements')
        .max(MAX_CONSENTS, `must have at most ${MAX_CONSENTS} entries`)
        .optional(),
    },
    'must be an object with email, phone, timeZone, locale or consents',
  )
  .refine(
    (block) => Object.values(block).some((v) => v !== undefined),
    'must state at least one of email, phone, timeZone, locale or consents',
  );

/** A validated contact block: the phone in E.164, the time zone and locale canonical, `statedAt` in epoch ms. */
export type ContactBlock = z.infer<typeof contactBlockSchema>;

/** Which contact points a block states, by kind (never their values): what the audit trail may say. */
export function contactKinds(block: ContactBlock): string[] {
  return (['email', 'phone', 'timeZone', 'locale'] as const).filter((k) => block[k] !== undefined);
}
