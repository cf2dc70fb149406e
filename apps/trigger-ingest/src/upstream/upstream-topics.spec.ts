import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import { defaultTriggerMappings } from '../ingest/trigger-mappings';
import { parseUpstreamEnvelope } from '../ingest/upstream-envelope';
import { upstreamBillingEventSchema } from './upstream-billing-event';
import { avroSchemaOf, upstreamCatalog } from './upstream-topics';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;

describe('upstream Avro feed', () => {
  it('embeds exactly the schema in schemas/upstream-billing-event.avsc', () => {
    const file = readFileSync(join(__dirname, 'schemas', 'upstream-billing-event.avsc'), 'utf8');
    expect(JSON.parse(upstreamBillingEventSchema)).toEqual(JSON.parse(file));
  });

  it('reads an Avro-encoded v2 event into the same canonical trigger as its JSON form', () => {
    const json = fixture('ok/billing.payment_failed.v2.json');
    const type = Type.forSchema(JSON.parse(upstreamBillingEventSchema));
    const bytes = type.toBuffer({
      ...json,
      occurredAt: Date.parse(json['occurredAt'] as string),
      amount: null,
    });
    const decoded = type.fromBuffer(bytes) as unknown;
    const toJson = avroSchemaOf({ topic: 't', format: 'avro' }).toJson;
    const mappings = defaultTriggerMappings();
    expect(mappings.map(parseUpstreamEnvelope(toJson(decoded)))).toEqual(
      mappings.map(parseUpstreamEnvelope(json)),
    );
  });

  it('reads an Avro-encoded contact block into the same canonical trigger as its JSON form', () => {
    const json = fixture('ok/billing.payment_failed.v1.with-contact.json');
    const customer = json['customer'] as { contact: { consents: Array<Record<string, unknown>> } };
    const type = Type.forSchema(JSON.parse(upstreamBillingEventSchema));
    const bytes = type.toBuffer({
      ...json,
      occurredAt: Date.parse(json['occurredAt'] as string),
      customer: {
        ...customer,
        contact: {
          ...customer.contact,
          consents: customer.contact.consents.map((c) => ({
            ...c,
            statedAt: Date.parse(c['statedAt'] as string),
          })),
        },
      },
      amountDue: null,
    });
    const toJson = avroSchemaOf({ topic: 't', format: 'avro' }).toJson;
    const mappings = defaultTriggerMappings();
    const fromAvro = mappings.map(parseUpstreamEnvelope(toJson(type.fromBuffer(bytes) as unknown)));
    expect(fromAvro).toEqual(mappings.map(parseUpstreamEnvelope(json)));
    expect(fromAvro.contact?.phone).toBe('+442079460958');
  });

  it('reads a record written before the contact block existed (the reader defaults it to none)', () => {
    const json = fixture('ok/billing.payment_failed.v1.json');
    const reader = Type.forSchema(JSON.parse(upstreamBillingEventSchema));
    const writerSchema = JSON.parse(upstreamBillingEventSchema) as {
      fields: Array<{ name: string; type: { fields?: Array<{ name: string }> } }>;
    };
    const customerField = writerSchema.fields.find((f) => f.name === 'customer')!;
    customerField.type.fields = customerField.type.fields!.filter((f) => f.name !== 'contact');
    const writer = Type.forSchema(writerSchema as never);
    const bytes = writer.toBuffer({
      ...json,
      occurredAt: Date.parse(json['occurredAt'] as string),
      amountDue: null,
    });
    const decoded = reader.fromBuffer(bytes, reader.createResolver(writer)) as unknown;
    const toJson = avroSchemaOf({ topic: 't', format: 'avro' }).toJson;
    expect(defaultTriggerMappings().map(parseUpstreamEnvelope(toJson(decoded))).contact).toBeNull();
  });

  it('leaves a timestamp outside the calendar for validation to refuse, naming the field', () => {
    const json = fixture('ok/billing.payment_failed.v2.json');
    const toJson = avroSchemaOf({ topic: 't', format: 'avro' }).toJson;
    const record = {
      ...json,
      occurredAt: 9e15,
      amount: null,
      customer: { customerId: 'c', accountId: null, locale: null, timeZone: null },
    };
    expect(() => parseUpstreamEnvelope(toJson(record))).toThrow(/^occurredAt: /);
  });

  it('declares Avro or JSON values and plain, nullable keys for each configured topic', () => {
    const catalog = upstreamCatalog([
      { topic: 'billing.events.v1', format: 'avro' },
      { topic: 'collections.events.v1', format: 'json' },
    ]);
    expect(catalog.partSchema('billing.events.v1', 'value')).toEqual({ avro: upstreamBillingEventSchema });
    expect(catalog.partSchema('collections.events.v1', 'value')).toEqual({ plain: 'json' });
    expect(catalog.partSchema('collections.events.v1', 'key')).toEqual({ plain: 'utf8', nullable: true });
    expect(catalog.has('case.triggered.v1')).toBe(true);
  });
});
