import { z } from 'zod';
import type { Money } from '@closeout/contracts';
import { currencySchema, MAX_AMOUNT_MINOR } from './field-rules';
import type { ContactBlock } from './contact-block';
import type { KnownFacts } from './known-facts';
import { currencyExponent, decimalToMinorUnits } from './money';
import { TriggerRefusedError, type FieldProblem } from './trigger-refused.error';
import { problemsOf, type UpstreamEnvelope } from './upstream-envelope';

/**
 * Where one event version carries its amount, and in which shape. Declarative, so a mapping stays data that
 * can be reviewed (and golden-tested) like a workflow definition.
 */
/** The envelope fields an amount may be read from (the envelope refuses any other). */
export type AmountField = 'amount' | 'amountDue';

export type AmountSource =
  | { format: 'none' }
  /** `{ amountMinor: 4599, currency: "GBP" }`: already integer minor units. */
  | { format: 'minor-units'; from: AmountField; required: boolean }
  /** `{ value: "45.99", currency: "GBP" }`: a decimal string, scaled by the currency's exponent. */
  | { format: 'decimal-string'; from: AmountField; required: boolean };

/** (eventType, eventVersion) → canonical trigger: which workflow it opens and how its fields are read. */
export interface TriggerMapping {
  eventType: string;
  eventVersion: number;
  workflowId: string;
  /** Recorded on case.triggered.v1 (`source.mappingVersion`) and in the audit trail; changes whenever the mapping does. */
  mappingVersion: string;
  amount: AmountSource;
}

/** What every mapping produces, whatever the upstream shape: the canonical fields of case.triggered.v1. */
export interface CanonicalTrigger {
  workflowId: string;
  mappingVersion: string;
  sourceSystem: string;
  eventId: string;
  eventType: string;
  eventVersion: number;
  occurredAt: number;
  customer: { customerId: string; accountId: string | null; locale: string | null; timeZone: string | null };
  amount: Money | null;
  attributes: Record<string, string>;
  /** The customer's contact block, for customer.contact.v1 only (never case.triggered.v1); null when none was sent. */
  contact: ContactBlock | null;
  /** The customer's raw known facts, to be hashed for customer.facts.v1 only; null when none were sent. */
  knownFacts: KnownFacts | null;
}

const currency = currencySchema.refine(
  (c) => currencyExponent(c) !== undefined,
  'must be an ISO 4217 currency this service knows',
);

const minorUnitsSchema = z.strictObject(
  {
    // Number.isSafeInteger alone is not enough: between 2^52 and 2^53 JSON parsing rounds "x.5" to an integer.
    amountMinor: z
      .number('must be an integer number of minor units')
      .int('must be an integer number of minor units')
      .nonnegative('must not be negative')
      .max(MAX_AMOUNT_MINOR, `must be at most ${MAX_AMOUNT_MINOR} minor units`),
    currency,
  },
  'must be an object with amountMinor and currency',
);

const decimalStringSchema = z.strictObject(
  {
    value: z.string('must be a decimal string such as "45.99"'),
    currency,
  },
  'must be an object with value and currency',
);

/** Looks up mappings by (eventType, eventVersion); refuses a table with two mappings for one key. */
export class TriggerMappingTable {
  private readonly byKey = new Map<string, TriggerMapping>();

  constructor(readonly mappings: readonly TriggerMapping[]) {
    for (const m of mappings) {
      const key = `${m.eventType}@${m.eventVersion}`;
      if (this.byKey.has(key)) throw new Error(`trigger mappings: ${key} is mapped twice`);
      // The version names what it maps, so case.triggered and the audit trail say which entry decided.
      if (!m.mappingVersion.startsWith(`${m.eventType}@v${m.eventVersion}.`)) {
        throw new Error(
          `trigger mappings: ${key} has mappingVersion ${m.mappingVersion}, expected ${m.eventType}@v${m.eventVersion}.<revision>`,
        );
      }
      this.byKey.set(key, m);
    }
  }

  find(eventType: string, eventVersion: number): TriggerMapping | undefined {
    return this.byKey.get(`${eventType}@${eventVersion}`);
  }

  /** The canonical trigger for a validated envelope, or TriggerRefusedError naming the field and the rule. */
  map(event: UpstreamEnvelope): CanonicalTrigger {
    const mapping = this.find(event.eventType, event.eventVersion);
    if (!mapping) throw this.unmapped(event.eventType);
    return {
      workflowId: mapping.workflowId,
      mappingVersion: mapping.mappingVersion,
      sourceSystem: event.sourceSystem,
      eventId: event.eventId,
      eventType: event.eventType,
      eventVersion: event.eventVersion,
      occurredAt: Date.parse(event.occurredAt),
      customer: {
        customerId: event.customer.customerId,
        accountId: event.customer.accountId ?? null,
        locale: event.customer.locale ?? null,
        timeZone: event.customer.timeZone ?? null,
      },
      amount: readAmount(mapping.amount, event),
      attributes: event.attributes,
      contact: event.customer.contact ?? null,
      knownFacts: event.customer.knownFacts ?? null,
    };
  }

  private unmapped(eventType: string): TriggerRefusedError {
    const versions = this.mappings.filter((m) => m.eventType === eventType).map((m) => m.eventVersion);
    const problem: FieldProblem =
      versions.length === 0
        ? {
            field: 'eventType',
            rule: `no trigger mapping for this eventType; mapped types: ${[
              ...new Set(this.mappings.map((m) => m.eventType)),
            ].join(', ')}`,
          }
        : {
            field: 'eventVersion',
            rule: `no trigger mapping for eventType '${eventType}' at this eventVersion; mapped versions: ${versions.join(', ')}`,
          };
    return new TriggerRefusedError('TRIGGER_UNMAPPED', [problem]);
  }
}

function readAmount(source: AmountSource, event: UpstreamEnvelope): Money | null {
  switch (source.format) {
    case 'none':
      return null;
    case 'minor-units': {
      const raw = event[source.from];
      if (raw === undefined || raw === null) return absent(source);
      const parsed = minorUnitsSchema.safeParse(raw);
      if (!parsed.success)
        throw new TriggerRefusedError('TRIGGER_INVALID', problemsOf(parsed.error, source.from));
      return parsed.data;
    }
    case 'decimal-string': {
      const raw = event[source.from];
      if (raw === undefined || raw === null) return absent(source);
      const parsed = decimalStringSchema.safeParse(raw);
      if (!parsed.success)
        throw new TriggerRefusedError('TRIGGER_INVALID', problemsOf(parsed.error, source.from));
      const converted = decimalToMinorUnits(parsed.data.value, parsed.data.currency);
      if (!converted.ok) {
        throw new TriggerRefusedError('TRIGGER_INVALID', [
          { field: `${source.from}.${converted.field}`, rule: converted.rule },
        ]);
      }
      return { amountMinor: converted.amountMinor, currency: parsed.data.currency };
    }
    default:
      return assertUnreachable(source);
  }
}

function absent(source: { from: AmountField; required: boolean }): null {
  if (source.required) {
    throw new TriggerRefusedError('TRIGGER_INVALID', [
      { field: source.from, rule: 'is required by this event version' },
    ]);
  }
  return null;
}

function assertUnreachable(value: never): never {
  throw new Error(`unhandled amount source ${JSON.stringify(value)}`);
}
