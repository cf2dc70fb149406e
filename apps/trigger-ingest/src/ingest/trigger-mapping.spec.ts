import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TriggerRefusedError } from './trigger-refused.error';
import { defaultTriggerMappings, triggerMappings } from './trigger-mappings';
import { TriggerMappingTable } from './trigger-mapping';
import { parseUpstreamEnvelope } from './upstream-envelope';

const fixtures = join(__dirname, '..', 'upstream', 'fixtures');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

const table = defaultTriggerMappings();
const map = (input: unknown) => table.map(parseUpstreamEnvelope(input));

function refusal(input: unknown): TriggerRefusedError {
  try {
    map(input);
  } catch (error) {
    if (error instanceof TriggerRefusedError) return error;
    throw error;
  }
  throw new Error('expected the event to be refused');
}

describe('versioned trigger mappings', () => {
  it('maps billing.payment_failed v1 (minor units) and v2 (decimal string) to the same canonical trigger', () => {
    const canonical = fixture('ok/billing.payment_failed.canonical.json');
    const v1 = map(fixture('ok/billing.payment_failed.v1.json'));
    const v2 = map(fixture('ok/billing.payment_failed.v2.json'));
    expect(v1).toEqual({
      ...(canonical as object),
      eventVersion: 1,
      mappingVersion: 'billing.payment_failed@v1.1',
    });
    expect(v2).toEqual({
      ...(canonical as object),
      eventVersion: 2,
      mappingVersion: 'billing.payment_failed@v2.1',
    });
  });

  it('reads an event without eventVersion as version 1', () => {
    expect(map(fixture('ok/billing.payment_failed.unversioned.json'))).toMatchObject({
      eventVersion: 1,
      mappingVersion: 'billing.payment_failed@v1.1',
      amount: { amountMinor: 4599, currency: 'GBP' },
    });
  });

  it('maps every ok fixture', () => {
    const ok = readdirSync(join(fixtures, 'ok')).filter((f) => !f.endsWith('.canonical.json'));
    expect(ok.length).toBeGreaterThanOrEqual(3);
    for (const name of ok) expect(map(fixture(`ok/${name}`)).workflowId).toBe('failed-payment-recovery');
  });

  it('refuses an amount with more decimals than the currency has, naming the field', () => {
    const error = refusal(fixture('not-ok/billing.payment_failed.v2.too-precise.json'));
    expect(error.code).toBe('TRIGGER_INVALID');
    expect(error.problems).toEqual([
      {
        field: 'amountDue.value',
        rule: 'GBP has 2 decimal places: the amount cannot be expressed in minor units without rounding',
      },
    ]);
  });

  it('refuses a v2 event that carries the v1 amount instead of amountDue', () => {
    const error = refusal(fixture('not-ok/billing.payment_failed.v2.without-amount-due.json'));
    expect(error.problems).toEqual([{ field: 'amountDue', rule: 'is required by this event version' }]);
  });

  it('refuses an unmapped version, naming the eventType and the eventVersion', () => {
    const error = refusal(fixture('not-ok/billing.payment_failed.v3.json'));
    expect(error.code).toBe('TRIGGER_UNMAPPED');
    expect(error.problems).toEqual([
      {
        field: 'eventVersion',
        rule: "no trigger mapping for eventType 'billing.payment_failed' at this eventVersion; mapped versions: 1, 2",
      },
    ]);
  });

  it('refuses an unmapped event type, naming the field and the mapped types, not the value', () => {
    const error = refusal(fixture('not-ok/unknown-event-type.json'));
    expect(error.code).toBe('TRIGGER_UNMAPPED');
    expect(error.problems[0]).toMatchObject({
      field: 'eventType',
      rule: expect.stringContaining('mapped types: billing.payment_failed'),
    });
    expect(error.message).not.toContain('billing.refund_issued');
  });

  it('refuses an envelope without its dedupe key, naming the field', () => {
    const error = refusal(fixture('not-ok/missing-event-id.json'));
    expect(error.code).toBe('TRIGGER_INVALID');
    expect(error.problems.map((p) => p.field)).toEqual(['eventId']);
  });

  it('holds a topic to its source system', () => {
    const event = fixture('ok/billing.payment_failed.v1.json');
    expect(() =>
      parseUpstreamEnvelope(event, { sourceSystem: 'collections-core', topic: 'collections.events.v1' }),
    ).toThrow('sourceSystem: must be the system that publishes on this topic');
    const anonymous: Record<string, unknown> = { ...(event as Record<string, unknown>) };
    delete anonymous['sourceSystem'];
    expect(parseUpstreamEnvelope(anonymous, { sourceSystem: 'billing-core' }).sourceSystem).toBe(
      'billing-core',
    );
  });

  it('refuses a mapping table with two entries for one (eventType, eventVersion) or a mislabelled version', () => {
    const first = triggerMappings[0]!;
    expect(() => new TriggerMappingTable([first, { ...first }])).toThrow(
      'billing.payment_failed@1 is mapped twice',
    );
    expect(() => new TriggerMappingTable([{ ...first, mappingVersion: '1' }])).toThrow(
      /expected billing.payment_failed@v1/,
    );
  });
});
