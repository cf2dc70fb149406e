/**
 * outreach.event.v1 gained `fallbackChannel` after it was first registered. The registry runs BACKWARD compatibility:
 * a consumer on the current schema must read every event written with the previous one. Producers and consumers are
 * also upgraded one service at a time, so a consumer still on the previous schema must read the current one's events
 * (the field is dropped). Checked with avsc's schema resolution, the rules the registry applies.
 */
import { Type } from 'avsc';
import { avroSchemas } from './generated';

/** outreach.event.v1 as first registered (version 1 of the subject), before `fallbackChannel`. */
const PREVIOUS = {
  type: 'record',
  name: 'OutreachEvent',
  namespace: 'io.closeout.outreach.v1',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'correlationId', type: 'string' },
    { name: 'causationId', type: ['null', 'string'], default: null },
    { name: 'caseId', type: 'string' },
    { name: 'outreachId', type: 'string' },
    {
      name: 'channel',
      type: {
        type: 'enum',
        name: 'Channel',
        namespace: 'io.closeout.common',
        symbols: ['SMS', 'EMAIL', 'WHATSAPP'],
      },
    },
    {
      name: 'status',
      type: {
        type: 'enum',
        name: 'OutreachStatus',
        symbols: ['SENT', 'DELIVERED', 'FAILED', 'OPENED', 'CLICKED', 'OPTED_OUT', 'SUPPRESSED'],
      },
    },
    { name: 'providerRef', type: ['null', 'string'], default: null },
    { name: 'reason', type: ['null', 'string'], default: null },
  ],
};

// Timestamps stay plain longs here, as in the platform's serde (no logical-type conversion).
const previous = Type.forSchema(PREVIOUS as never);
const current = Type.forSchema(JSON.parse(avroSchemas['outreach.event.v1-value']));

const failedOnSms = {
  eventId: 'oev-1',
  occurredAt: 1_736_000_000_000,
  correlationId: 'corr-1',
  causationId: 'req-1',
  caseId: 'case-1',
  outreachId: 'out_case-1_1',
  channel: 'SMS',
  status: 'FAILED',
  providerRef: 'SM0001',
  reason: 'twilio reports UNDELIVERED (30003)',
};

describe('outreach.event.v1: fallbackChannel added compatibly', () => {
  it('BACKWARD: an event written with the previous schema reads with fallbackChannel null (a final FAILED)', () => {
    const bytes = previous.toBuffer(failedOnSms);
    const read = current.fromBuffer(bytes, current.createResolver(previous));
    expect({ ...read }).toEqual({ ...failedOnSms, fallbackChannel: null });
  });

  it('FORWARD: a consumer still on the previous schema reads the current events, without the new field', () => {
    const bytes = current.toBuffer({ ...failedOnSms, fallbackChannel: 'EMAIL' });
    const read = previous.fromBuffer(bytes, previous.createResolver(current));
    expect({ ...read }).toEqual(failedOnSms);
  });

  it('the current schema carries a fallback channel and the null of a final FAILED, and refuses anything else', () => {
    for (const fallbackChannel of ['EMAIL', 'WHATSAPP', null]) {
      const event = { ...failedOnSms, fallbackChannel };
      expect({ ...current.fromBuffer(current.toBuffer(event)) }).toEqual(event);
    }
    expect(current.isValid({ ...failedOnSms, fallbackChannel: 'PIGEON' })).toBe(false);
  });
});
