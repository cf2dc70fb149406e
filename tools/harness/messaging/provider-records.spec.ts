import type { Channel } from '@closeout/messaging-domain';
import type { Customer, Request } from './population';
import { checkProviderRecords, parseMessageId, type ProviderMessage } from './provider-records';

const customer = (i: number, timeZone = 'Etc/UTC'): Customer => ({
  index: i,
  customerId: `cust-r-${i}`,
  email: `c${i}@hr.example.com`,
  phone: `+44770000000${i}`,
  timeZone,
  quiet: false,
  consented: true,
});
const request = (i: number, c: Customer = customer(i)): Request => ({
  outreachId: `out-r-${i}`,
  caseId: `case-r-${i}`,
  customer: c,
  channel: 'SMS',
  followUp: false,
});
// 12:00 UTC: inside 08:00–21:00 in Etc/UTC, 03:00 in Etc/GMT+9 (UTC−9).
const NOON = Date.UTC(2026, 0, 15, 12, 0, 0);
const sms = (i: number, at = NOON, ref = `SM${i}`): ProviderMessage => ({
  channel: 'SMS',
  messageId: `out-r-${i}.1`,
  to: customer(i).phone,
  at,
  ref,
});

describe('the messaging harness proof from provider records', () => {
  it('reads our message id back as (outreach, attempt)', () => {
    expect(parseMessageId('out-r-7.1')).toEqual({ outreachId: 'out-r-7', attempt: 1 });
    expect(parseMessageId('out-r-7')).toBeUndefined();
  });

  it('passes one message per outreach, inside the window, to the request’s customer', () => {
    const check = checkProviderRecords({
      messages: [sms(1), sms(2)],
      requests: [request(1), request(2)],
      optOuts: [],
      failedChannels: new Map(),
    });
    expect(check.violations).toEqual([]);
    expect(check.sendsByChannel).toEqual({ EMAIL: 0, SMS: 2, WHATSAPP: 0 });
  });

  it('counts an (outreach, attempt) taken twice by one provider as a duplicate', () => {
    const check = checkProviderRecords({
      messages: [sms(1), sms(1, NOON + 5_000, 'SM1-again')],
      requests: [request(1)],
      optOuts: [],
      failedChannels: new Map(),
    });
    expect(check.duplicates).toBe(1);
    expect(check.violations).toEqual([expect.stringMatching(/^SMS out-r-1\.1: taken 2 times/)]);
  });

  it('flags a message sent in the recipient’s quiet hours', () => {
    const quiet = customer(3, 'Etc/GMT+9');
    const check = checkProviderRecords({
      messages: [{ ...sms(3), to: quiet.phone }],
      requests: [request(3, quiet)],
      optOuts: [],
      failedChannels: new Map(),
    });
    expect(check.outsideWindow).toBe(1);
    expect(check.violations[0]).toMatch(/03:00 in Etc\/GMT\+9: outside the send window/);
  });

  it('flags a message after the customer’s STOP was answered, on any channel, and passes the confirmation', () => {
    const c = customer(4);
    const email: ProviderMessage = {
      channel: 'EMAIL',
      messageId: 'out-r-5.1',
      to: c.email,
      at: NOON + 2_000,
      ref: 'mail-1',
    };
    const confirmation: ProviderMessage = { ...sms(4, NOON + 1_500), messageId: 'opt-out-SMx' };
    const check = checkProviderRecords({
      messages: [sms(4), confirmation, email],
      requests: [request(4, c), request(5, c)],
      optOuts: [{ customerId: c.customerId, channel: 'SMS', answeredAt: NOON + 1_000 }],
      failedChannels: new Map(),
    });
    expect(check.afterOptOut).toBe(1);
    expect(check.confirmations).toBe(1);
    expect(check.violations).toEqual([
      expect.stringMatching(/^EMAIL out-r-5\.1 .*1000 ms after cust-r-4's STOP/),
    ]);
  });

  it('takes a second channel as a fallback only after the first was reported FAILED', () => {
    const c = customer(6);
    const messages: ProviderMessage[] = [
      sms(6),
      { channel: 'EMAIL', messageId: 'out-r-6.1', to: c.email, at: NOON + 3_000, ref: 'mail-6' },
    ];
    const unreported = checkProviderRecords({
      messages,
      requests: [request(6, c)],
      optOuts: [],
      failedChannels: new Map(),
    });
    expect(unreported.violations).toEqual([
      `out-r-6: taken on SMS then EMAIL without a FAILED report for SMS`,
    ]);
    const reported = checkProviderRecords({
      messages,
      requests: [request(6, c)],
      optOuts: [],
      failedChannels: new Map([['out-r-6', new Set<Channel>(['SMS'])]]),
    });
    expect(reported.violations).toEqual([]);
    expect(reported.fallbacks).toBe(1);
  });

  it('flags a message to someone other than the request’s customer, and leaves other runs’ mail alone', () => {
    const check = checkProviderRecords({
      messages: [
        { ...sms(7), to: customer(8).phone },
        { channel: 'EMAIL', messageId: 'out-other-1.1', to: 'x@elsewhere.example', at: NOON, ref: 'm' },
      ],
      requests: [request(7), request(8)],
      optOuts: [],
      failedChannels: new Map(),
    });
    expect(check.foreign).toBe(1);
    expect(check.violations).toEqual([expect.stringMatching(/^SMS out-r-7\.1 \(SM7\): sent to cust-r-8/)]);
  });
});
