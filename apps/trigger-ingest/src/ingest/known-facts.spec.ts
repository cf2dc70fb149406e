import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_FACT_ALGORITHM, verifyKnownFact } from '@closeout/privacy';
import { fingerprintOf } from '../triggers/ingest-trigger.use-case';
import { screenEvent } from './event-screening';
import { hashKnownFacts, knownFactNames, withoutKnownFacts } from './known-facts';
import { defaultTriggerMappings } from './trigger-mappings';
import { TriggerRefusedError } from './trigger-refused.error';
import { parseUpstreamEnvelope } from './upstream-envelope';

const fixtures = join(__dirname, '..', 'upstream', 'fixtures');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Record<string, unknown>;
const table = defaultTriggerMappings();
const ingest = (input: unknown) => table.map(screenEvent(parseUpstreamEnvelope(input)).event);

const DOB = '1984-03-12';
const POSTCODE = 'SW1A 1AA';
/** The v1 fixture with this known-facts block. */
const withFacts = (knownFacts: unknown): Record<string, unknown> => {
  const event = fixture('ok/billing.payment_failed.v1.json');
  return { ...event, customer: { ...(event['customer'] as object), knownFacts } };
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

describe('customer.knownFacts', () => {
  it('reads the date of birth and postcode beside the customer, for hashing only', () => {
    const trigger = ingest(fixture('ok/billing.payment_failed.v1.with-known-facts.json'));
    expect(trigger.knownFacts).toEqual({ dateOfBirth: DOB, postalCode: POSTCODE });
    expect(knownFactNames(trigger.knownFacts!)).toEqual(['dateOfBirth', 'postalCode']);
    // Nothing of them reaches the case's canonical fields.
    const { knownFacts: _facts, ...rest } = trigger;
    expect(JSON.stringify(rest)).not.toContain('1984');
    expect(JSON.stringify(rest)).not.toContain('SW1A');
  });

  it('one fact alone is enough; an event without the block has none', () => {
    expect(ingest(withFacts({ postalCode: 'ls1 1aa' })).knownFacts).toEqual({ postalCode: 'ls1 1aa' });
    expect(ingest(fixture('ok/billing.payment_failed.v1.json')).knownFacts).toBeNull();
  });

  it.each([
    [
      'a date in another order',
      { dateOfBirth: '12/31/1984' },
      'customer.knownFacts.dateOfBirth',
      'must be a date of birth as YYYY-MM-DD (or DD/MM/YYYY), between 1900 and today',
    ],
    [
      'a date in the future',
      { dateOfBirth: '2999-01-01' },
      'customer.knownFacts.dateOfBirth',
      'must be a date of birth as YYYY-MM-DD (or DD/MM/YYYY), between 1900 and today',
    ],
    [
      'a postcode with punctuation',
      { postalCode: 'SW1A;1AA' },
      'customer.knownFacts.postalCode',
      'must be 3–10 letters and digits (spaces and a hyphen allowed)',
    ],
    [
      'a very long value',
      { postalCode: 'A'.repeat(5000) },
      'customer.knownFacts.postalCode',
      'must be at most 32 characters',
    ],
    ['a number', { dateOfBirth: 19840312 }, 'customer.knownFacts.dateOfBirth', 'must be a string'],
    ['an empty block', {}, 'customer.knownFacts', 'must state at least one of dateOfBirth or postalCode'],
    [
      'a field it does not define',
      { dateOfBirth: DOB, mothersMaidenName: 'x' },
      'customer.knownFacts',
      'has fields this event does not define',
    ],
    ['not an object', 'SW1A 1AA', 'customer.knownFacts', 'must be an object with dateOfBirth or postalCode'],
  ])('%s: refused naming the field and the rule, never the value', (_what, facts, field, rule) => {
    const error = refusal(withFacts(facts));
    expect(error.code).toBe('TRIGGER_INVALID');
    expect(error.problems).toEqual([{ field, rule }]);
    expect(JSON.stringify(error.problems)).not.toMatch(/1984|SW1A|AAAA|maiden/i);
  });

  it('the not-ok fixture (a US-ordered date) is refused on customer.knownFacts.dateOfBirth', () => {
    const error = refusal(fixture('not-ok/known-facts-bad-date-of-birth.json'));
    expect(error.problems.map((p) => p.field)).toEqual(['customer.knownFacts.dateOfBirth']);
  });

  it('hashes each stated fact with its own salt; verifyKnownFact accepts the fact however it is written, and nothing else', async () => {
    const hashed = await hashKnownFacts({ dateOfBirth: DOB, postalCode: POSTCODE });
    expect(hashed.map((h) => [h.name, h.algorithm])).toEqual([
      ['dateOfBirth', KNOWN_FACT_ALGORITHM],
      ['postalCode', KNOWN_FACT_ALGORITHM],
    ]);
    expect(hashed[0]!.salt).not.toBe(hashed[1]!.salt);
    expect(JSON.stringify(hashed)).not.toMatch(/1984|SW1A/);
    const [dob, postcode] = hashed;
    expect(await verifyKnownFact(dob!, '12/03/1984')).toBe(true);
    expect(await verifyKnownFact(dob!, '1984-03-13')).toBe(false);
    expect(await verifyKnownFact(postcode!, 'sw1a1aa')).toBe(true);
    expect(await verifyKnownFact(postcode!, 'SW1A 1AB')).toBe(false);
  });

  it('the payload digest and the fingerprint are taken without the known facts', () => {
    const plain = fixture('ok/billing.payment_failed.v1.json');
    const withBoth = fixture('ok/billing.payment_failed.v1.with-known-facts.json');
    // The same bytes the digest of an event without facts is taken over.
    expect(JSON.stringify(withoutKnownFacts(withBoth))).toBe(JSON.stringify(plain));
    expect(withoutKnownFacts(plain)).toBe(plain);
    expect(withoutKnownFacts('not an event')).toBe('not an event');
    expect(fingerprintOf(ingest(withBoth))).toBe(fingerprintOf(ingest(plain)));
    expect(fingerprintOf(ingest(withFacts({ dateOfBirth: '1990-01-01' })))).toBe(
      fingerprintOf(ingest(plain)),
    );
  });
});
