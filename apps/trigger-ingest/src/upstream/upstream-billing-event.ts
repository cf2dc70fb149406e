/**
 * The sample upstream feed's Avro record. The schema text is kept here, not read from
 * schemas/upstream-billing-event.avsc at run time, because the app build emits only compiled modules;
 * upstream-schemas.spec.ts fails if the two drift.
 */
export const upstreamBillingEventSchema = JSON.stringify({
  type: 'record',
  name: 'UpstreamBillingEvent',
  namespace: 'io.closeout.upstream.billing',
  doc: 'A billing/collections event as the sample upstream feed publishes it. v1 events carry amount (minor units), v2 events amountDue (a decimal string).',
  fields: [
    { name: 'sourceSystem', type: 'string' },
    { name: 'eventId', type: 'string', doc: 'upstream event id, the dedupe key' },
    { name: 'eventType', type: 'string', doc: 'e.g. billing.payment_failed' },
    { name: 'eventVersion', type: 'int', default: 1 },
    { name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    {
      name: 'customer',
      type: {
        type: 'record',
        name: 'UpstreamCustomer',
        fields: [
          { name: 'customerId', type: 'string' },
          { name: 'accountId', type: ['null', 'string'], default: null },
          { name: 'locale', type: ['null', 'string'], default: null },
          { name: 'timeZone', type: ['null', 'string'], default: null },
          {
            name: 'contact',
            doc: 'Contact points and consents as the system of record states them: for customer.contact.v1 only',
            type: [
              'null',
              {
                type: 'record',
                name: 'UpstreamContact',
                fields: [
                  { name: 'email', type: ['null', 'string'], default: null },
                  {
                    name: 'phone',
                    type: ['null', 'string'],
                    default: null,
                    doc: 'international form (+ and the country code)',
                  },
                  { name: 'timeZone', type: ['null', 'string'], default: null },
                  { name: 'locale', type: ['null', 'string'], default: null },
                  {
                    name: 'consents',
                    type: [
                      'null',
                      {
                        type: 'array',
                        items: {
                          type: 'record',
                          name: 'UpstreamConsent',
                          fields: [
                            { name: 'channel', type: 'string', doc: 'SMS, EMAIL or WHATSAPP' },
                            { name: 'purpose', type: 'string' },
                            { name: 'granted', type: 'boolean' },
                            { name: 'source', type: 'string' },
                            { name: 'statedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
                          ],
                        },
                      },
                    ],
                    default: null,
                  },
                ],
              },
            ],
            default: null,
          },
          {
            name: 'knownFacts',
            doc: 'Date of birth and postcode as the system of record knows them: hashed for customer.facts.v1 only',
            type: [
              'null',
              {
                type: 'record',
                name: 'UpstreamKnownFacts',
                fields: [
                  { name: 'dateOfBirth', type: ['null', 'string'], default: null, doc: 'YYYY-MM-DD' },
                  { name: 'postalCode', type: ['null', 'string'], default: null },
                ],
              },
            ],
            default: null,
          },
        ],
      },
    },
    {
      name: 'amount',
      doc: 'eventVersion 1: integer minor units',
      type: [
        'null',
        {
          type: 'record',
          name: 'MinorUnitsAmount',
          fields: [
            { name: 'amountMinor', type: 'long' },
            { name: 'currency', type: 'string' },
          ],
        },
      ],
      default: null,
    },
    {
      name: 'amountDue',
      doc: 'eventVersion 2: a decimal string such as "45.99", never a float',
      type: [
        'null',
        {
          type: 'record',
          name: 'DecimalAmount',
          fields: [
            { name: 'value', type: 'string' },
            { name: 'currency', type: 'string' },
          ],
        },
      ],
      default: null,
    },
    { name: 'attributes', type: { type: 'map', values: 'string' }, default: {} },
  ],
});

/** The record as the serde decodes it (avsc unwraps `["null", T]` unions to `T | null`). */
export interface UpstreamBillingEvent {
  sourceSystem: string;
  eventId: string;
  eventType: string;
  eventVersion: number;
  occurredAt: number;
  customer: {
    customerId: string;
    accountId: string | null;
    locale: string | null;
    timeZone: string | null;
    /** Absent from records written before the field existed (the reader's default then applies: null). */
    contact?: UpstreamContact | null;
    /** Absent from records written before the field existed (the reader's default then applies: null). */
    knownFacts?: UpstreamKnownFacts | null;
  };
  amount: { amountMinor: number; currency: string } | null;
  amountDue: { value: string; currency: string } | null;
  attributes: Record<string, string>;
}

export interface UpstreamKnownFacts {
  dateOfBirth: string | null;
  postalCode: string | null;
}

export interface UpstreamContact {
  email: string | null;
  phone: string | null;
  timeZone: string | null;
  locale: string | null;
  consents: Array<{
    channel: string;
    purpose: string;
    granted: boolean;
    source: string;
    statedAt: number;
  }> | null;
}

const present = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)) as Partial<T>;

/**
 * The record in the JSON shape HTTP events have (absent rather than null optionals, an ISO timestamp), so one
 * envelope schema and one set of mappings serve every channel.
 */
export function upstreamBillingEventToJson(event: UpstreamBillingEvent): Record<string, unknown> {
  return present({
    sourceSystem: event.sourceSystem,
    eventId: event.eventId,
    eventType: event.eventType,
    eventVersion: event.eventVersion,
    occurredAt: isoOrNumber(event.occurredAt),
    customer: present({
      ...event.customer,
      contact: event.customer.contact ? contactToJson(event.customer.contact) : null,
      knownFacts: event.customer.knownFacts ? present({ ...event.customer.knownFacts }) : null,
    }),
    amount: event.amount ? { ...event.amount } : null,
    amountDue: event.amountDue ? { ...event.amountDue } : null,
    attributes: { ...event.attributes },
  });
}

/** A timestamp outside Date's range stays a number, for validation to refuse rather than this to throw. */
const isoOrNumber = (ms: number): string | number =>
  Number.isNaN(new Date(ms).getTime()) ? ms : new Date(ms).toISOString();

function contactToJson(contact: UpstreamContact): Record<string, unknown> {
  return present({
    email: contact.email,
    phone: contact.phone,
    timeZone: contact.timeZone,
    locale: contact.locale,
    consents: contact.consents
      ? contact.consents.map((c) => ({ ...c, statedAt: isoOrNumber(c.statedAt) }))
      : null,
  });
}
