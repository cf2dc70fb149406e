/**
 * The Twilio SMS provider against the simulated Twilio-compatible provider (tools/simulators/sms-provider) and a
 * webhook endpoint standing in for the messaging service, all on 127.0.0.1: real HTTP, real signatures.
 */
import { startSmsProvider, type SmsProvider } from '@closeout/simulators/sms-provider';
import type { OutboundMessage, WebhookEvent } from '../channel-provider';
import {
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../../test-support/webhook-receiver';
import { parseTwilioSmsConfig } from './twilio-sms.config';
import { TwilioSmsProvider } from './twilio-sms.provider';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'sim-auth-token';
const OUR_NUMBER = '+15005550006';
const CUSTOMER = '+447700900123';

let receiver: WebhookReceiver;
let sim: SmsProvider;
let sms: TwilioSmsProvider;

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  sim = await startSmsProvider({
    account: { accountSid: ACCOUNT, authToken: TOKEN, numbers: [OUR_NUMBER] },
    inboundWebhookUrl: `${receiver.url}/webhooks/sms/inbound`,
    statusStepMs: 20,
    replyDelayMs: 20,
  });
  sms = new TwilioSmsProvider(
    parseTwilioSmsConfig({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      from: OUR_NUMBER,
      baseUrl: sim.url,
      statusCallbackUrl: `${receiver.url}/webhooks/sms/status`,
      timeoutMs: 300,
    }),
  );
});

afterEach(async () => {
  await sim.close();
  await receiver.close();
});

const message = (messageId: string, text = 'Your payment of £125.50 is due on 12 Dec.'): OutboundMessage => ({
  messageId,
  channel: 'SMS',
  to: CUSTOMER,
  text,
});

const statusOf = (webhook: ReceivedWebhook): string | null =>
  new URLSearchParams(webhook.rawBody.toString()).get('MessageStatus');

/** The verified, parsed events of a webhook call; fails the test if the signature does not hold. */
function verifiedEvents(webhook: ReceivedWebhook): WebhookEvent[] {
  expect(sms.verifyWebhook(webhook)).toBe(true);
  return sms.parseWebhook(webhook);
}

describe('TwilioSmsProvider against the simulated provider', () => {
  it('sends, then verifies and reads the signed delivered callback that names the message', async () => {
    const outcome = await sms.send(message('m-1'));
    expect(outcome).toEqual({ kind: 'accepted', providerRef: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    const sid = (outcome as { providerRef: string }).providerRef;

    const delivered = await receiver.waitFor((w) => statusOf(w) === 'delivered');
    expect(verifiedEvents(delivered)).toEqual([
      { kind: 'status', providerRef: sid, messageId: 'm-1', state: 'DELIVERED', at: expect.any(Number) },
    ]);
    expect(sms.messageIdOf(delivered)).toBe('m-1');
    expect(sim.journal()).toEqual([expect.objectContaining({ sid, to: CUSTOMER, from: OUR_NUMBER })]);
    await expect(sms.lookup({ messageId: 'm-1', providerRef: sid })).resolves.toMatchObject({
      kind: 'found',
      status: { providerRef: sid, state: 'DELIVERED' },
    });
  });

  it('refuses a forged callback: a changed status under the real signature, or no signature', async () => {
    await sms.send(message('m-2'));
    const sent = await receiver.waitFor((w) => statusOf(w) === 'sent');
    const forgedBody = Buffer.from(
      sent.rawBody.toString().replace('MessageStatus=sent', 'MessageStatus=delivered'),
    );
    expect(forgedBody.equals(sent.rawBody)).toBe(false);
    expect(sms.verifyWebhook({ ...sent, rawBody: forgedBody })).toBe(false);
    expect(
      sms.verifyWebhook({ ...sent, headers: { ...sent.headers, 'x-twilio-signature': undefined } }),
    ).toBe(false);
    expect(sms.verifyWebhook({ ...sent, url: `${receiver.url}/webhooks/sms/status?messageId=m-3` })).toBe(
      false,
    );
    expect(sms.verifyWebhook(sent)).toBe(true);
  });

  it('classifies a 429 with Retry-After as a retryable rejection; nothing was sent', async () => {
    sim.setFaults({ mode: 'rate_limited', count: 1, retryAfterSeconds: 4 });
    await expect(sms.send(message('m-4'))).resolves.toEqual({
      kind: 'rejected',
      permanent: false,
      reason: 'twilio 20429: too many requests (HTTP 429)',
      retryAfterMs: 4_000,
    });
    expect(sim.journal()).toHaveLength(0);
  });

  it('answers unknown when the provider took the message but the answer never came; the callback and lookup resolve it', async () => {
    sim.setFaults({ mode: 'accept_then_timeout', count: 1, delayMs: 2_000 });
    const outcome = await sms.send(message('m-5'));
    expect(outcome).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('ECONNABORTED') });
    // The provider did take it: sending again would be a duplicate.
    expect(sim.journal()).toHaveLength(1);
    await expect(sms.lookup({ messageId: 'm-5' })).resolves.toMatchObject({ kind: 'inconclusive' });

    const callback = await receiver.waitFor((w) => statusOf(w) === 'delivered');
    const [event] = verifiedEvents(callback);
    expect(sms.messageIdOf(callback)).toBe('m-5');
    const providerRef = (event as { providerRef: string }).providerRef;
    expect(providerRef).toBe(sim.journal()[0]!.sid);
    await expect(sms.lookup({ messageId: 'm-5', providerRef })).resolves.toMatchObject({
      kind: 'found',
      status: { providerRef, state: 'DELIVERED' },
    });
    expect(sim.stats().duplicatePostings.total).toBe(0);
  });

  it('answers unknown to an answer that names another message', async () => {
    await sms.send(message('m-6', 'first'));
    sim.setFaults({ mode: 'foreign_answer', count: 1 });
    await expect(sms.send({ ...message('m-7', 'second'), to: '+447700900999' })).resolves.toMatchObject({
      kind: 'unknown',
    });
  });

  it('reports an undeliverable number as UNDELIVERED with the carrier error code', async () => {
    sim.setFaults({ mode: 'undeliverable', count: 1 });
    const outcome = await sms.send(message('m-8'));
    expect(outcome.kind).toBe('accepted');
    const undelivered = await receiver.waitFor((w) => statusOf(w) === 'undelivered');
    expect(verifiedEvents(undelivered)).toEqual([
      expect.objectContaining({ state: 'UNDELIVERED', errorCode: '30003' }),
    ]);
  });

  it("delivers a customer's STOP as a signed inbound webhook; the next send is refused as unsubscribed (21610)", async () => {
    sim.setFaults({ mode: 'customer_reply', count: 1, body: 'STOP' });
    const outcome = await sms.send(message('m-9'));
    expect(outcome.kind).toBe('accepted');
    const reply = await receiver.waitFor((w) => w.path === '/webhooks/sms/inbound');
    expect(verifiedEvents(reply)).toEqual([
      {
        kind: 'inbound',
        from: CUSTOMER,
        text: 'STOP',
        providerRef: expect.stringMatching(/^SM/),
        at: expect.any(Number),
      },
    ]);
    await expect(sms.send(message('m-10'))).resolves.toEqual({
      kind: 'rejected',
      permanent: true,
      reason: 'twilio 21610: recipient unsubscribed (replied STOP) (HTTP 400)',
    });
  });

  it('passes on duplicate and out-of-order callbacks as they come: each verifies and reads alike', async () => {
    sim.setFaults({ mode: 'duplicate_callbacks', count: 1 }, { mode: 'out_of_order_callbacks', count: 1 });
    await sms.send(message('m-11'));
    await receiver.waitFor(
      () => receiver.received.filter((w) => w.path === '/webhooks/sms/status').length === 4,
    );
    const states = receiver.received
      .map((w) => verifiedEvents(w)[0])
      .map((e) => (e as { state: string }).state);
    expect(states).toEqual(['DELIVERED', 'DELIVERED', 'SENT', 'SENT']);
  });
});
