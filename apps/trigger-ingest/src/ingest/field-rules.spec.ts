import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { screenEvent } from './event-screening';
import { defaultTriggerMappings } from './trigger-mappings';
import { TriggerRefusedError } from './trigger-refused.error';
import { parseUpstreamEnvelope } from './upstream-envelope';

const fixtures = join(__dirname, '..', 'upstream', 'fixtures');
const base = (): Record<string, unknown> => ({
  ...(JSON.parse(readFileSync(join(fixtures, 'ok/billing.payment_failed.v1.json'), 'utf8')) as object),
  occurredAt: new Date().toISOString(),
});
const table = defaultTriggerMappings();
const ingest = (input: unknown) => table.map(screenEvent(parseUpstreamEnvelope(input)).event);

function refusal(input: unknown): TriggerRefusedError {
  try {
    ingest(input);
  } catch (error) {
    if (error instanceof TriggerRefusedError) return error;
    throw error;
  }
  throw new Error('expected the event to be refused');
}

const PAN = '4111111111111111';

describe('field rules', () => {
  it.each([
    ['eventId over 128 characters', { eventId: 'e'.repeat(129) }, 'eventId'],
    ['sourceSystem of 3 KB', { sourceSystem: 's'.repeat(3000) }, 'sourceSystem'],
    ['eventId with a space', { eventId: 'inv 1' }, 'eventId'],
    ['NUL in customerId', { customer: { customerId: 'cust\u000042' } }, 'customer.customerId'],
    ['NUL in an attribute', { attributes: { note: 'a\u0000b' } }, 'attributes.note'],
    ['lone surrogate in an attribute', { attributes: { note: 'a\ud800b' } }, 'attributes.note'],
    ['attribute over 1024 characters', { attributes: { note: 'x'.repeat(1025) } }, 'attributes.note'],
    ['attribute name with a space', { attributes: { 'bad name': 'x' } }, 'attributes.#1'],
    [
      '51 attributes',
      { attributes: Object.fromEntries([...Array(51).keys()].map((i) => [`a${i}`, 'x'])) },
      'attributes',
    ],
    ['eventVersion 1001', { eventVersion: 1001 }, 'eventVersion'],
    [
      'occurredAt 11 years ago',
      { occurredAt: new Date(Date.now() - 11 * 366 * 86400000).toISOString() },
      'occurredAt',
    ],
    [
      'occurredAt 2 days ahead',
      { occurredAt: new Date(Date.now() + 2 * 86400000).toISOString() },
      'occurredAt',
    ],
    ['an unknown field', { extra: { deep: [[[{}]]] } }, ''],
    ['amount at 2^52', { amount: { amountMinor: 2 ** 52, currency: 'GBP' } }, 'amount.amountMinor'],
    [
      'amount between 2^52 and 2^53',
      { amount: { amountMinor: 2 ** 52 + 1.5, currency: 'GBP' } },
      'amount.amountMinor',
    ],
    ['amount at 2^53', { amount: { amountMinor: 2 ** 53, currency: 'GBP' } }, 'amount.amountMinor'],
    ['unknown currency', { amount: { amountMinor: 1, currency: 'ZZZ' } }, 'amount.currency'],
    ['card number in eventId', { eventId: `inv-${PAN}` }, 'eventId'],
    ['card number in customerId', { customer: { customerId: PAN } }, 'customer.customerId'],
  ])('refuses %s, naming the field and never the value', (_name, override, field) => {
    const error = refusal({ ...base(), ...override });
    expect(error.problems.map((p) => p.field)).toContain(field);
    const text = JSON.stringify(error.problems);
    for (const value of [
      'e'.repeat(129),
      's'.repeat(100),
      'inv 1',
      '\u0000',
      PAN,
      'bad name',
      'x'.repeat(100),
    ])
      expect(text).not.toContain(value);
  });

  it('names a card number in an id with its rule', () => {
    expect(refusal({ ...base(), eventId: PAN }).problems).toEqual([
      { field: 'eventId', rule: 'must not contain a card number' },
    ]);
  });

  it.each([null, [], 'text', 42, { customer: [] }, { attributes: [] }])(
    'refuses a weird shape %p without crashing',
    (input) => {
      expect(refusal(input).code).toBe('TRIGGER_INVALID');
    },
  );

  it('masks card numbers and contact points in attributes, and says which', () => {
    const { event, masked } = screenEvent(
      parseUpstreamEnvelope({
        ...base(),
        attributes: { note: `card ${PAN}`, contact: 'jane.doe@example.com', invoiceId: 'inv-1001' },
      }),
    );
    expect(event.attributes).toEqual({
      note: 'card ************1111',
      contact: 'j***@e***.com',
      invoiceId: 'inv-1001',
    });
    expect(masked.sort()).toEqual(['attributes.contact', 'attributes.note']);
  });

  it('accepts the largest amount and an ordinary event', () => {
    expect(
      ingest({ ...base(), amount: { amountMinor: 999_999_999_999_999, currency: 'GBP' } }).amount,
    ).toEqual({
      amountMinor: 999_999_999_999_999,
      currency: 'GBP',
    });
  });

  it('refuses a source system the token may not publish for', () => {
    expect(() => parseUpstreamEnvelope(base(), { allowedSources: ['other'] })).toThrow(
      expect.objectContaining({ code: 'TRIGGER_FORBIDDEN' }),
    );
  });
});
