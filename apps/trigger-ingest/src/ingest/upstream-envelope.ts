import { z } from 'zod';
import { TriggerRefusedError, type FieldProblem } from './trigger-refused.error';
import {
  ATTRIBUTE_KEY_PATTERN,
  freeTextProblem,
  ID_PATTERN,
  idSchema,
  MAX_ATTRIBUTES,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_LEAD_MS,
} from './field-rules';
import { contactBlockSchema } from './contact-block';
import { knownFactsSchema } from './known-facts';

/** `attributes`: at most MAX_ATTRIBUTES names (letter first, 64 characters) mapping to bounded free text. */
const attributesSchema = z
  .record(z.string(), z.unknown(), 'must map names to string values')
  .superRefine((attributes, ctx) => {
    const entries = Object.entries(attributes);
    if (entries.length > MAX_ATTRIBUTES) {
      ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_ATTRIBUTES} entries` });
      return;
    }
    entries.forEach(([key, value], index) => {
      // A name that breaks the rule is input too: it is named by position, never quoted.
      if (!ATTRIBUTE_KEY_PATTERN.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [`#${index + 1}`],
          message: 'names must start with a letter and be 1–64 letters, digits and . _ -',
        });
        return;
      }
      if (typeof value !== 'string') {
        ctx.addIssue({ code: 'custom', path: [key], message: 'must be a string' });
        return;
      }
      const problem = freeTextProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    });
  })
  .transform((a) => a as Record<string, string>);

const occurredAtSchema = z
  .string('must be an ISO 8601 timestamp with offset')
  .max(40, 'must be an ISO 8601 timestamp with offset')
  .pipe(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with offset' }))
  .refine((at) => {
    const ms = Date.parse(at);
    const now = Date.now();
    return ms >= now - MAX_EVENT_AGE_MS && ms <= now + MAX_EVENT_LEAD_MS;
  }, 'must be within the last 10 years and at most 24 hours ahead');

/**
 * The fields every upstream event carries, whatever its type and version, over HTTP and Kafka alike, each bounded
 * and with a character rule (see field-rules.ts). `amount` and `amountDue` are read and validated by the mapping of
 * the event's version; any other field is refused, so nothing unchecked is carried along.
 */
export const upstreamEnvelopeSchema = z.strictObject({
  sourceSystem: idSchema('the publishing system'),
  eventId: idSchema('the upstream event id, the dedupe key'),
  eventType: idSchema('the upstream event type, e.g. billing.payment_failed'),
  // Events from before versioning carry no version: they are version 1.
  eventVersion: z
    .number('must be an integer')
    .int('must be an integer')
    .min(1, 'must be 1 or more')
    .max(1000, 'must be at most 1000')
    .default(1),
  occurredAt: occurredAtSchema,
  customer: z.strictObject(
    {
      customerId: idSchema('the customer id'),
      accountId: idSchema('the account id').optional(),
      locale: z
        .string('must be a BCP 47 language tag')
        .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$/, 'must be a BCP 47 language tag such as en-GB')
        .optional(),
      timeZone: z
        .string('must be an IANA time zone')
        .regex(/^[A-Za-z][A-Za-z0-9_+/-]{0,63}$/, 'must be an IANA time zone such as Europe/London')
        .optional(),
      // Contact points and consents: for customer.contact.v1 only (contact-block.ts).
      contact: contactBlockSchema.optional(),
      // Date of birth and postcode: hashed for customer.facts.v1 only (known-facts.ts).
      knownFacts: knownFactsSchema.optional(),
    },
    'must be an object with customerId',
  ),
  amount: z.unknown().optional(),
  amountDue: z.unknown().optional(),
  attributes: attributesSchema.default({}),
});

export type UpstreamEnvelope = z.infer<typeof upstreamEnvelopeSchema>;

/** zod issues as field problems, paths dotted from `prefix`. Rules never carry the rejected value. */
export function problemsOf(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter((s) => s !== '').join('.'),
    // zod's own message for unknown fields lists their names, which are input.
    rule: issue.code === 'unrecognized_keys' ? 'has fields this event does not define' : issue.message,
  }));
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where an event came from, as far as validation cares. */
export interface EnvelopeOrigin {
  /** The system that publishes on the topic: it fills an absent `sourceSystem` and must match a present one. */
  sourceSystem?: string;
  topic?: string;
  /** The source systems the HTTP caller's token may publish for. */
  allowedSources?: readonly string[];
}

/** The validated envelope of an upstream event, or TriggerRefusedError naming each field and rule it breaks. */
export function parseUpstreamEnvelope(input: unknown, origin: EnvelopeOrigin = {}): UpstreamEnvelope {
  const own = origin.sourceSystem;
  const candidate =
    own && isRecord(input) && input['sourceSystem'] === undefined ? { ...input, sourceSystem: own } : input;
  const parsed = upstreamEnvelopeSchema.safeParse(candidate);
  if (!parsed.success) throw new TriggerRefusedError('TRIGGER_INVALID', problemsOf(parsed.error));
  if (own && parsed.data.sourceSystem !== own) {
    throw new TriggerRefusedError('TRIGGER_INVALID', [
      { field: 'sourceSystem', rule: `must be the system that publishes on this topic` },
    ]);
  }
  if (origin.allowedSources && !origin.allowedSources.includes(parsed.data.sourceSystem)) {
    throw new TriggerRefusedError('TRIGGER_FORBIDDEN', [
      { field: 'sourceSystem', rule: 'is not a source system this token may publish for' },
    ]);
  }
  return parsed.data;
}

/** The event's source system if it is one of `known` (or the topic's own), else undefined: safe to label and log. */
export function knownSourceSystemOf(
  input: unknown,
  origin: EnvelopeOrigin,
  known: ReadonlySet<string>,
): string | undefined {
  const claimed = isRecord(input) ? input['sourceSystem'] : undefined;
  if (typeof claimed === 'string') return known.has(claimed) ? claimed : undefined;
  return origin.sourceSystem;
}

/**
 * The source system and event id of an event that may be invalid otherwise, enough to name its case: only when
 * the source is a known one and the id keeps to the id rule (and holds no card number), so nothing unchecked is
 * audited.
 */
export function sourceIdentityOf(
  input: unknown,
  origin: EnvelopeOrigin,
  known: ReadonlySet<string>,
  isSafeId: (id: string) => boolean,
): { sourceSystem: string; eventId: string } | undefined {
  const sourceSystem = knownSourceSystemOf(input, origin, known);
  const eventId = isRecord(input) ? input['eventId'] : undefined;
  return sourceSystem && typeof eventId === 'string' && ID_PATTERN.test(eventId) && isSafeId(eventId)
    ? { sourceSystem, eventId }
    : undefined;
}
