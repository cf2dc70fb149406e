/**
 * outreach.event.v1 gained `fallbackChannel` after it was first registered, then `link` (the mini-app link a SENT
 * message carries). The registry runs BACKWARD compatibility:
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

/** outreach.event.v1 before `link` (version 2 of the subject): the first version with `fallbackChannel`. */
const BEFORE_LINK = {
  ...PREVIOUS,
  fields: [
    ...PREVIOUS.fields,
    { name: 'fallbackChannel', type: ['null', 'io.closeout.common.Channel'], default: null },
  ],
};

// Timestamps stay plain longs here, as in the platform's serde (no logical-type conversion).
const previous = Type.forSchema(PREVIOUS as never);
const beforeLink = Type.forSchema(BEFORE_LINK as never);
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
    expect({ ...read }).toEqual({ ...failedOnSms, fallbackChannel: null, link: null });
  });

  it('FORWARD: a consumer still on the previous schema reads the current events, without the new field', () => {
    const bytes = current.toBuffer({ ...failedOnSms, fallbackChannel: 'EMAIL', link: null });
    const read = previous.fromBuffer(bytes, previous.createResolver(current));
    expect({ ...read }).toEqual(failedOnSms);
  });

  it('the current schema carries a fallback channel and the null of a final FAILED, and refuses anything else', () => {
    for (const fallbackChannel of ['EMAIL', 'WHATSAPP', null]) {
      const event = { ...failedOnSms, fallbackChannel, link: null };
      expect({ ...current.fromBuffer(current.toBuffer(event)) }).toEqual(event);
    }
    expect(current.isValid({ ...failedOnSms, fallbackChannel: 'PIGEON', link: null })).toBe(false);
  });
});

describe('outreach.event.v1: link added compatibly', () => {
  const sent = { ...failedOnSms, status: 'SENT', reason: null, fallbackChannel: null };
  const link = {
    tokenSha256: 'a'.repeat(64),
    customerId: 'cust-1',
    workflowId: 'failed-payment-recovery',
    purpose: 'servicing-collections',
    expiresAt: 1_736_600_000_000,
    locale: 'en',
  };

  it('BACKWARD: an event written before link reads with link null', () => {
    const bytes = beforeLink.toBuffer(sent);
    const read = current.fromBuffer(bytes, current.createResolver(beforeLink));
    expect({ ...read }).toEqual({ ...sent, link: null });
  });

  it('BACKWARD from the first version too: neither fallbackChannel nor link, both null', () => {
    const first: Record<string, unknown> = { ...sent };
    delete first['fallbackChannel'];
    const read = current.fromBuffer(previous.toBuffer(first), current.createResolver(previous));
    expect({ ...read }).toEqual({ ...sent, link: null });
  });

  it('FORWARD: a consumer still before link reads a SENT with a link, without it', () => {
    const bytes = current.toBuffer({ ...sent, link });
    const read = beforeLink.fromBuffer(bytes, beforeLink.createResolver(current));
    expect({ ...read }).toEqual(sent);
  });

  it('the current schema carries a link (locale optional) or null, and refuses a link missing a field', () => {
    for (const value of [link, { ...link, locale: null }, null]) {
      const event = { ...sent, link: value };
      const read = current.fromBuffer(current.toBuffer(event));
      expect(JSON.parse(JSON.stringify(read))).toEqual(event);
    }
    const partial: Record<string, unknown> = { ...link };
    delete partial['tokenSha256'];
    expect(current.isValid({ ...sent, link: partial })).toBe(false);
  });
});
