import { z } from 'zod';
import { TriggerRefusedError } from './trigger-refused.error';

/**
 * The fields every upstream event carries, whatever its type and version, over HTTP and Kafka alike. Fields a
 * version adds (an amount in one shape or another) are kept for its mapping to read and validate.
 */
export const upstreamEnvelopeSchema = z.looseObject({
  sourceSystem: z.string().min(1, 'must name the publishing system'),
  eventId: z.string().min(1, 'must be the upstream event id (the dedupe key)'),
  eventType: z.string().min(1, 'must name the upstream event type, e.g. billing.payment_failed'),
  // Events from before versioning carry no version: they are version 1.
  eventVersion: z.number().int('must be an integer').min(1, 'must be 1 or more').default(1),
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with offset' }),
  customer: z.object({
    customerId: z.string().min(1, 'must be the customer id'),
    accountId: z.string().min(1).optional(),
    locale: z.string().optional(),
    timeZone: z.string().optional(),
  }),
  attributes: z.record(z.string(), z.string(), { message: 'must map names to string values' }).default({}),
});

export type UpstreamEnvelope = z.infer<typeof upstreamEnvelopeSchema>;

/** zod issues as field problems, paths dotted from `prefix`. */
export function problemsOf(error: z.ZodError, prefix = ''): { field: string; rule: string }[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter((s) => s !== '').join('.'),
    rule: issue.message,
  }));
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where an event came from, as far as validation cares: a topic may belong to one source system. */
export interface EnvelopeOrigin {
  /** The system that publishes on the topic: it fills an absent `sourceSystem` and must match a present one. */
  sourceSystem?: string;
  topic?: string;
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
      {
        field: 'sourceSystem',
        rule: `must be '${own}', the system that publishes on ${origin.topic ?? 'this topic'}, got '${parsed.data.sourceSystem}'`,
      },
    ]);
  }
  return parsed.data;
}

/** The source system an event claims (or its topic's), even when the event is invalid otherwise. */
export function sourceSystemOf(input: unknown, origin: EnvelopeOrigin = {}): string | undefined {
  const claimed = isRecord(input) ? input['sourceSystem'] : undefined;
  return typeof claimed === 'string' && claimed !== '' ? claimed : origin.sourceSystem;
}

/** The source system and event id of an event that may be invalid otherwise: enough to name its case. */
export function sourceIdentityOf(
  input: unknown,
  origin: EnvelopeOrigin = {},
): { sourceSystem: string; eventId: string } | undefined {
  const sourceSystem = sourceSystemOf(input, origin);
  const eventId = isRecord(input) ? input['eventId'] : undefined;
  return sourceSystem && typeof eventId === 'string' && eventId !== ''
    ? { sourceSystem, eventId }
    : undefined;
}
