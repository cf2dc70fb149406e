import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintOf } from '../triggers/ingest-trigger.use-case';
import { sha256 } from './case-id';
import { contactKinds } from './contact-block';
import { refusedForCardNumber, screenEvent } from './event-screening';
import { defaultTriggerMappings } from './trigger-mappings';
import { TriggerRefusedError } from './trigger-refused.error';
import { parseUpstreamEnvelope } from './upstream-envelope';

const fixtures = join(__dirname, '..', 'upstream', 'fixtures');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Record<string, unknown>;
const table = defaultTriggerMappings();
const ingest = (input: unknown) => table.map(screenEvent(parseUpstreamEnvelope(input)).event);

const EMAIL = 'jane.doe@example.com';
const PHONE = '+44 20 7946 0958';
const PAN = '4111111111111111';
const consent = (override: Record<string, unknown> = {}): Record<string, unknown> => ({
  channel: 'SMS',
  purpose: 'collections',
  granted: true,
  source: 'online-banking',
  statedAt: '2024-11-02T14:05:00.000Z',
  ...override,
});
/** The v1 fixture with this contact block. */
const withContact = (contact: unknown): Record<string, unknown> => {
  const event = fixture('ok/billing.payment_failed.v1.json');
  return { ...event, customer: { ...(event['customer'] as object), contact } };
};

function refusal(input: unknown): TriggerRefusedError {
  try {
    ingest(input);
  } catch (error) {
    if (error instanceof TriggerRefusedError) return error;
    throw error;
  }
  throw new Error('expected the event to be refused');
}

describe('customer.contact', () => {
  it('reads the contact block beside the customer, the phone in E.164, zone and locale canonical', () => {
    const trigger = ingest(
      withContact({
        email: EMAIL,
        phone: PHONE,
        timeZone: 'europe/london',
        locale: 'EN-gb',
        consents: [
          consent(),
          consent({ channel: 'WHATSAPP', granted: false, statedAt: '2024-12-01T10:00:00+01:00' }),
        ],
      }),
    );
    expect(trigger.contact).toEqual({
      email: EMAIL,
      phone: '+442079460958',
      timeZone: 'Europe/London',
      locale: 'en-GB',
      consents: [
        consent({ statedAt: Date.parse('2024-11-02T14:05:00.000Z') }),
        consent({ channel: 'WHATSAPP', granted: false, statedAt: Date.parse('2024-12-01T09:00:00Z') }),
      ],
    });
    // What case.triggered.v1 carries of the customer: no contact point.
    expect(trigger.customer).toEqual({
      customerId: 'cust-42',
      accountId: 'acc-7',
      locale: 'en-GB',
      timeZone: 'Europe/London',
    });
  });

  it('takes any single field, and no block at all', () => {
    expect(ingest(withContact({ phone: '+1 (415) 555-2671' })).contact).toEqual({ phone: '+14155552671' });
    expect(ingest(withContact({ consents: [] })).contact).toEqual({ consents: [] });
    expect(ingest(fixture('ok/billing.payment_failed.v1.json')).contact).toBeNull();
  });

  it('maps the ok fixture with a contact block and refuses the one with a national phone number', () => {
    expect(ingest(fixture('ok/billing.payment_failed.v1.with-contact.json')).contact?.phone).toBe(
      '+442079460958',
    );
    expect(refusal(fixture('not-ok/contact-national-phone.json')).problems).toEqual([
      {
        field: 'customer.contact.phone',
        rule: 'must be a phone number in international form: + and the country code, at most 32 characters',
      },
    ]);
  });

  const hostile: Array<[string, unknown, string, string]> = [
    [
      'an e-mail address without a domain',
      { email: 'jane.doe.secret@' },
      'customer.contact.email',
      'jane.doe.secret',
    ],
    [
      'an e-mail address of 255 characters',
      { email: `${'j'.repeat(60)}@${'e'.repeat(190)}.com` },
      'customer.contact.email',
      'j'.repeat(60),
    ],
    [
      'a local part of 65 characters',
      { email: `${'k'.repeat(65)}@example.com` },
      'customer.contact.email',
      'k'.repeat(65),
    ],
    ['an e-mail address that is a number', { email: 447946095800 }, 'customer.contact.email', '447946095800'],
    ['a national phone number', { phone: '020 7946 0958' }, 'customer.contact.phone', '7946'],
    ['a phone number too short for its country', { phone: '+44 7946 09' }, 'customer.contact.phone', '7946'],
    [
      'a phone number of an unknown country code',
      { phone: '+999 123 456 789' },
      'customer.contact.phone',
      '123',
    ],
    ['a phone number with letters', { phone: '+44 20 7946 CALL' }, 'customer.contact.phone', 'CALL'],
    [
      'a phone number of 40 characters',
      { phone: `+44 ${'9'.repeat(36)}` },
      'customer.contact.phone',
      '9999999',
    ],
    [
      'a time zone the runtime does not know',
      { timeZone: 'Mars/Olympus_Mons' },
      'customer.contact.timeZone',
      'Olympus',
    ],
    [
      'a time zone of 65 characters',
      { timeZone: `Europe/${'L'.repeat(58)}` },
      'customer.contact.timeZone',
      'LLLLLL',
    ],
    ['a locale that is not a tag', { locale: 'english please' }, 'customer.contact.locale', 'english'],
    [
      'a locale of 36 characters',
      { locale: `en-${'abcdefgh-'.repeat(3)}abcdef` },
      'customer.contact.locale',
      'abcdefgh',
    ],
    [
      '33 consents',
      { consents: Array.from({ length: 33 }, () => consent()) },
      'customer.contact.consents',
      'online-banking',
    ],
    [
      'consents that are not a list',
      { consents: { sms: 'yes-please' } },
      'customer.contact.consents',
      'yes-please',
    ],
    [
      'an unknown channel',
      { consents: [consent({ channel: 'PIGEON' })] },
      'customer.contact.consents.0.channel',
      'PIGEON',
    ],
    [
      'a purpose with a space',
      { consents: [consent({ purpose: 'debt chasing' })] },
      'customer.contact.consents.0.purpose',
      'debt chasing',
    ],
    [
      'granted as text',
      { consents: [consent({ granted: 'sure-thing' })] },
      'customer.contact.consents.0.granted',
      'sure-thing',
    ],
    [
      'a consent without its source',
      { consents: [consent({ source: undefined })] },
      'customer.contact.consents.0.source',
      'collections',
    ],
    [
      'statedAt that is not ISO 8601',
      { consents: [consent({ statedAt: 'last-tuesday' })] },
      'customer.contact.consents.0.statedAt',
      'last-tuesday',
    ],
    [
      'statedAt two days ahead',
      { consents: [consent({ statedAt: new Date(Date.now() + 2 * 86_400_000).toISOString() })] },
      'customer.contact.consents.0.statedAt',
      'collections',
    ],
    [
      'an unknown field in a consent',
      { consents: [consent({ note: 'call-after-six' })] },
      'customer.contact.consents.0',
      'call-after-six',
    ],
    ['an unknown field in the block', { email: EMAIL, fax: '+44 20 7946 0999' }, 'customer.contact', '7946'],
    ['an empty block', {}, 'customer.contact', '{}'],
    ['a block that is a string', `mailto:${EMAIL}`, 'customer.contact', 'mailto'],
    ['a card number in the e-mail address', { email: `${PAN}@example.com` }, 'customer.contact.email', PAN],
    [
      'a card number in a consent purpose',
      { consents: [consent({ purpose: PAN })] },
      'customer.contact.consents.0.purpose',
      PAN,
    ],
  ];

  it.each(hostile)('refuses %s, naming the field and never the value', (_name, contact, field, value) => {
    const error = refusal(withContact(contact));
    expect(error.code).toBe('TRIGGER_INVALID');
    expect(error.problems.map((p) => p.field)).toEqual([field]);
    expect(error.problems[0]!.rule.length).toBeGreaterThan(0);
    const text = `${JSON.stringify(error.problems)} ${error.message}`;
    expect(text).not.toContain(value);
    expect(text).not.toContain(EMAIL);
  });

  it('refuses a card number in the block like one in an id: not dead-lettered', () => {
    expect(refusedForCardNumber(refusal(withContact({ email: `${PAN}@example.com` })))).toBe(true);
    expect(refusedForCardNumber(refusal(withContact({ phone: '020 7946 0958' })))).toBe(false);
  });

  it('names the kinds of contact points a block states, never their values', () => {
    const trigger = ingest(withContact({ email: EMAIL, phone: PHONE, consents: [consent()] }));
    expect(contactKinds(trigger.contact!)).toEqual(['email', 'phone']);
  });

  it('fingerprints an event without a contact block as before, and a different block as a different event', () => {
    const plain = ingest(fixture('ok/billing.payment_failed.v1.json'));
    // The formula of the fingerprints already stored in source_event.
    const stored = `sha256:${sha256(
      JSON.stringify([
        plain.sourceSystem,
        plain.eventId,
        plain.eventType,
        plain.occurredAt,
        plain.customer.customerId,
        plain.customer.accountId,
        plain.customer.locale,
        plain.customer.timeZone,
        [plain.amount!.amountMinor, plain.amount!.currency],
        plain.attributes,
      ]),
    )}`;
    expect(fingerprintOf(plain)).toBe(stored);

    const a = fingerprintOf(ingest(withContact({ phone: PHONE })));
    expect(a).not.toBe(stored);
    // The same number written otherwise is the same event; another number is not.
    expect(fingerprintOf(ingest(withContact({ phone: '+442079460958' })))).toBe(a);
    expect(fingerprintOf(ingest(withContact({ phone: '+44 20 7946 0959' })))).not.toBe(a);
  });
});
