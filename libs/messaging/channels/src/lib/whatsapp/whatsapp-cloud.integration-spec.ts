/**
 * The WhatsApp Cloud API provider against the simulated Cloud API (tools/simulators/whatsapp-provider) and a
 * webhook endpoint standing in for the messaging service, all on 127.0.0.1: real HTTP, real signatures, and the
 * simulator's clock moved to cross the 24-hour customer-service window.
 */
import { startWhatsAppProvider, type WhatsAppProvider } from '@closeout/simulators/whatsapp-provider';
import type { OutboundMessage, WebhookEvent } from '../channel-provider';
import {
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../../test-support/webhook-receiver';
import { parseWhatsAppCloudConfig } from './whatsapp-cloud.config';
import { WhatsAppCloudProvider } from './whatsapp-cloud.provider';

const TOKEN = 'sim-access-token';
const SECRET = 'sim-app-secret';
const PHONE_NUMBER_ID = '106540352242922';
const CUSTOMER = '+447700900123';
const HOUR = 60 * 60 * 1000;

let clock: number;
let receiver: WebhookReceiver;
let sim: WhatsAppProvider;
let whatsapp: WhatsAppCloudProvider;

async function start(windowEnforcement: 'refuse' | 'failed_status' = 'refuse'): Promise<void> {
  sim = await startWhatsAppProvider({
    accessToken: TOKEN,
    appSecret: SECRET,
    phoneNumberId: PHONE_NUMBER_ID,
    webhookUrl: `${receiver.url}/webhooks/whatsapp`,
    templates: ['payment_reminder'],
    windowEnforcement,
    statusStepMs: 20,
    replyDelayMs: 20,
    now: () => clock,
  });
  whatsapp = new WhatsAppCloudProvider(
    parseWhatsAppCloudConfig({
      accessToken: TOKEN,
      appSecret: SECRET,
      phoneNumberId: PHONE_NUMBER_ID,
      baseUrl: sim.url,
      timeoutMs: 300,
    }),
  );
}

beforeEach(async () => {
  clock = Date.parse('2026-12-01T09:00:00Z');
  receiver = await startWebhookReceiver();
  await start();
});

afterEach(async () => {
  await sim.close();
  await receiver.close();
});

const text = (messageId: string): OutboundMessage => ({
  messageId,
  channel: 'WHATSAPP',
  to: CUSTOMER,
  text: 'Thanks — your arrangement is set up.',
});
const template = (messageId: string): OutboundMessage => ({
  ...text(messageId),
  template: { name: 'payment_reminder', language: 'en_GB', parameters: ['£125.50', '12 Dec'] },
});

function verifiedEvents(webhook: ReceivedWebhook): WebhookEvent[] {
  expect(whatsapp.verifyWebhook(webhook)).toBe(true);
  return whatsapp.parseWebhook(webhook);
}

/** The first webhook whose events include a status `state` for `providerRef`. */
function statusWebhook(providerRef: string, state: string): Promise<ReceivedWebhook> {
  return receiver.waitFor((w) =>
    whatsapp
      .parseWebhook(w)
      .some((e) => e.kind === 'status' && e.providerRef === providerRef && e.state === state),
  );
}

/** The first webhook carrying a customer's message. */
function inboundWebhook(): Promise<ReceivedWebhook> {
  return receiver.waitFor((w) => whatsapp.parseWebhook(w).some((e) => e.kind === 'inbound'));
}

const accepted = (outcome: unknown): string => {
  expect(outcome).toEqual({ kind: 'accepted', providerRef: expect.stringMatching(/^wamid\./) });
  return (outcome as { providerRef: string }).providerRef;
};

describe('WhatsAppCloudProvider against the simulated Cloud API', () => {
  it('sends free-form text inside the 24-hour window and reads the signed delivered status', async () => {
    await sim.customerMessage(CUSTOMER, 'Can I pay next week?');
    const inbound = await inboundWebhook();
    expect(verifiedEvents(inbound)).toEqual([
      expect.objectContaining({ kind: 'inbound', from: CUSTOMER, text: 'Can I pay next week?' }),
    ]);

    clock += 1 * HOUR;
    const wamid = accepted(await whatsapp.send(text('w-1')));
    const delivered = await statusWebhook(wamid, 'DELIVERED');
    expect(verifiedEvents(delivered)).toEqual([
      { kind: 'status', providerRef: wamid, messageId: 'w-1', state: 'DELIVERED', at: clock },
    ]);
    expect(JSON.parse(delivered.rawBody.toString()).entry[0].changes[0].value.statuses[0]).toMatchObject({
      biz_opaque_callback_data: 'w-1',
    });
    expect(sim.journal()).toEqual([
      expect.objectContaining({ id: wamid, type: 'text', waId: '447700900123' }),
    ]);
  });

  it('is refused free-form outside the window (131047, nothing sent) and takes a template instead', async () => {
    await sim.customerMessage(CUSTOMER, 'Hello');
    clock += 25 * HOUR;
    await expect(whatsapp.send(text('w-2'))).resolves.toEqual({
      kind: 'rejected',
      permanent: true,
      reason:
        'whatsapp-cloud 131047: outside the 24-hour customer-service window (a template is needed) (HTTP 400)',
    });
    expect(sim.journal()).toHaveLength(0);

    const wamid = accepted(await whatsapp.send(template('w-3')));
    expect(sim.journal()).toEqual([
      expect.objectContaining({
        id: wamid,
        type: 'template',
        template: { name: 'payment_reminder', language: 'en_GB', parameters: ['£125.50', '12 Dec'] },
      }),
    ]);
    expect(verifiedEvents(await statusWebhook(wamid, 'READ'))).toEqual([
      expect.objectContaining({ kind: 'status', state: 'READ' }),
    ]);
  });

  it('refuses a forged status webhook', async () => {
    const wamid = accepted(await whatsapp.send(template('w-4')));
    const sent = await statusWebhook(wamid, 'SENT');
    const forged = Buffer.from(sent.rawBody.toString().replace('"sent"', '"delivered"'));
    expect(whatsapp.verifyWebhook({ ...sent, rawBody: forged })).toBe(false);
    expect(whatsapp.verifyWebhook({ ...sent, headers: {} })).toBe(false);
    expect(whatsapp.verifyWebhook(sent)).toBe(true);
  });

  it("delivers a customer's STOP as a signed inbound webhook", async () => {
    sim.setFaults({ mode: 'customer_reply', count: 1, body: 'STOP' });
    accepted(await whatsapp.send(template('w-5')));
    const reply = await inboundWebhook();
    expect(verifiedEvents(reply)).toEqual([
      {
        kind: 'inbound',
        from: CUSTOMER,
        text: 'STOP',
        providerRef: expect.stringMatching(/^wamid\./),
        at: clock,
      },
    ]);
  });

  it('classifies throttling with Retry-After, and a taken message whose answer never came as unknown', async () => {
    sim.setFaults({ mode: 'rate_limited', count: 1, retryAfterSeconds: 2 });
    await expect(whatsapp.send(template('w-6'))).resolves.toMatchObject({
      kind: 'rejected',
      permanent: false,
      retryAfterMs: 2_000,
    });
    expect(sim.journal()).toHaveLength(0);

    sim.setFaults({ mode: 'accept_then_timeout', count: 1, delayMs: 2_000 });
    await expect(whatsapp.send(template('w-7'))).resolves.toMatchObject({ kind: 'unknown' });
    expect(sim.journal()).toHaveLength(1);
    await expect(whatsapp.lookup()).resolves.toMatchObject({ kind: 'inconclusive' });
    // The status webhook names the message by our id: that is how an unknown send is resolved on this channel.
    const { id } = sim.journal()[0]!;
    const sent = await statusWebhook(id, 'SENT');
    expect(sent.rawBody.toString()).toContain('"biz_opaque_callback_data":"w-7"');
  });

  it('reads a failed status with 131047 when the window is enforced after acceptance', async () => {
    await sim.close();
    await start('failed_status');
    const wamid = accepted(await whatsapp.send(text('w-8')));
    expect(verifiedEvents(await statusWebhook(wamid, 'FAILED'))).toEqual([
      expect.objectContaining({ providerRef: wamid, state: 'FAILED', errorCode: '131047' }),
    ]);
  });
});
