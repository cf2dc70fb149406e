import { createHmac } from 'node:crypto';
import type { WebhookRequest } from '../channel-provider';
import { ProviderConfigError } from '../provider-errors';
import { parseWhatsAppCloudConfig } from './whatsapp-cloud.config';
import { classifyWhatsAppAnswer, WhatsAppCloudProvider } from './whatsapp-cloud.provider';

const SECRET = 'app-secret';
const PHONE_NUMBER_ID = '106540352242922';
const WAMID = 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA';

const provider = (): WhatsAppCloudProvider =>
  new WhatsAppCloudProvider(
    parseWhatsAppCloudConfig({ accessToken: 'token', appSecret: SECRET, phoneNumberId: PHONE_NUMBER_ID }),
  );

function webhook(value: Record<string, unknown>, phoneNumberId = PHONE_NUMBER_ID): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

function request(body: unknown, signature?: string): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify(body));
  const sig = signature ?? `sha256=${createHmac('sha256', SECRET).update(rawBody).digest('hex')}`;
  return {
    url: 'https://closeout.example/webhooks/whatsapp',
    headers: { 'x-hub-signature-256': sig },
    rawBody,
  };
}

describe('WhatsAppCloudProvider webhooks', () => {
  const delivered = webhook({
    statuses: [{ id: WAMID, status: 'delivered', timestamp: '1765000000', recipient_id: '447700900123' }],
  });

  it('verifies X-Hub-Signature-256 over the raw body and refuses a forged, missing or malformed one', () => {
    const whatsapp = provider();
    expect(whatsapp.verifyWebhook(request(delivered))).toBe(true);
    const forged = `sha256=${createHmac('sha256', 'not-the-secret').update(JSON.stringify(delivered)).digest('hex')}`;
    expect(whatsapp.verifyWebhook(request(delivered, forged))).toBe(false);
    expect(whatsapp.verifyWebhook({ ...request(delivered), headers: {} })).toBe(false);
    expect(whatsapp.verifyWebhook(request(delivered, 'sha256=abc'))).toBe(false);
    const tampered = request(delivered);
    expect(
      whatsapp.verifyWebhook({
        ...tampered,
        rawBody: Buffer.from(tampered.rawBody.toString().replace('delivered', 'read')),
      }),
    ).toBe(false);
  });

  it('reads statuses, with the error code of a failed one, and times from the webhook', () => {
    const events = provider().parseWebhook(
      request(
        webhook({
          statuses: [
            { id: WAMID, status: 'sent', timestamp: '1765000000', recipient_id: '447700900123' },
            { id: WAMID, status: 'read', timestamp: '1765000005', recipient_id: '447700900123' },
            {
              id: WAMID,
              status: 'failed',
              timestamp: '1765000009',
              recipient_id: '447700900123',
              errors: [{ code: 131047, title: 'Re-engagement message' }],
            },
          ],
        }),
      ),
    );
    expect(events).toEqual([
      { kind: 'status', providerRef: WAMID, state: 'SENT', at: 1_765_000_000_000 },
      { kind: 'status', providerRef: WAMID, state: 'READ', at: 1_765_000_005_000 },
      { kind: 'status', providerRef: WAMID, state: 'FAILED', at: 1_765_000_009_000, errorCode: '131047' },
    ]);
  });

  it('reads inbound text and button replies, the sender as an E.164 number', () => {
    const events = provider().parseWebhook(
      request(
        webhook({
          contacts: [{ profile: { name: 'Customer' }, wa_id: '447700900123' }],
          messages: [
            {
              from: '447700900123',
              id: WAMID,
              timestamp: '1765000100',
              type: 'text',
              text: { body: 'STOP' },
            },
            {
              from: '447700900123',
              id: WAMID,
              timestamp: '1765000101',
              type: 'button',
              button: { text: 'Pay now' },
            },
          ],
        }),
      ),
    );
    expect(events).toEqual([
      { kind: 'inbound', from: '+447700900123', text: 'STOP', providerRef: WAMID, at: 1_765_000_100_000 },
      { kind: 'inbound', from: '+447700900123', text: 'Pay now', providerRef: WAMID, at: 1_765_000_101_000 },
    ]);
  });

  it("skips another number's changes and names the field of what it cannot read", () => {
    const whatsapp = provider();
    expect(
      whatsapp.parseWebhook(request(webhook({ statuses: [{ id: WAMID, status: 'sent' }] }, '999'))),
    ).toEqual([]);
    expect(() => whatsapp.parseWebhook(request({ object: 'page', entry: [] }))).toThrow(
      expect.objectContaining({ field: 'object' }),
    );
    expect(() =>
      whatsapp.parseWebhook(
        request(webhook({ statuses: [{ id: WAMID, status: 'exploded', timestamp: '1' }] })),
      ),
    ).toThrow(expect.objectContaining({ field: 'entry[0].changes[0].value.statuses[0].status' }));
    expect(() => whatsapp.parseWebhook({ ...request(delivered), rawBody: Buffer.from('{not json') })).toThrow(
      expect.objectContaining({ field: 'body' }),
    );
  });

  it('answers lookup inconclusive: the Cloud API has no message-status lookup', async () => {
    await expect(provider().lookup()).resolves.toMatchObject({ kind: 'inconclusive' });
  });
});

describe('classifyWhatsAppAnswer', () => {
  const context = { name: 'whatsapp-cloud', defaultRetryAfterMs: 60_000, now: () => 0 };
  const to = '447700900123';
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers,
    data: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const graph = (code: number) => ({ error: { message: `(#${code}) …`, type: 'OAuthException', code } });

  it('takes a 200 that names a wamid for the recipient sent to, and calls anything else unknown', () => {
    const ok = {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: WAMID }],
    };
    expect(classifyWhatsAppAnswer(answer(200, ok), to, context)).toEqual({
      kind: 'accepted',
      providerRef: WAMID,
    });
    const other = { ...ok, contacts: [{ input: '15005550006', wa_id: '15005550006' }] };
    expect(classifyWhatsAppAnswer(answer(200, other), to, context)).toMatchObject({ kind: 'unknown' });
    expect(classifyWhatsAppAnswer(answer(200, { messages: [] }), to, context)).toMatchObject({
      kind: 'unknown',
    });
  });

  it('reads 131047 as permanent for this free-form message, throttling as retryable after Retry-After', () => {
    expect(classifyWhatsAppAnswer(answer(400, graph(131047)), to, context)).toMatchObject({
      kind: 'rejected',
      permanent: true,
      reason: expect.stringContaining('131047'),
    });
    expect(classifyWhatsAppAnswer(answer(429, graph(130429), { 'retry-after': '3' }), to, context)).toEqual({
      kind: 'rejected',
      permanent: false,
      reason: 'whatsapp-cloud 130429: rate limit hit (HTTP 429)',
      retryAfterMs: 3_000,
    });
    expect(classifyWhatsAppAnswer(answer(400, graph(131056)), to, context)).toMatchObject({
      permanent: false,
      retryAfterMs: 60_000,
    });
  });

  it('reads a Graph 5xx as retryable, a gateway page as unknown, a refused token as not permanent', () => {
    expect(classifyWhatsAppAnswer(answer(503, graph(2)), to, context)).toMatchObject({ permanent: false });
    expect(classifyWhatsAppAnswer(answer(504, '<html/>'), to, context)).toMatchObject({ kind: 'unknown' });
    expect(classifyWhatsAppAnswer(answer(401, graph(190)), to, context)).toMatchObject({ permanent: false });
    expect(classifyWhatsAppAnswer(answer(400, graph(132001)), to, context)).toMatchObject({
      permanent: true,
    });
  });
});

describe('WhatsApp configuration', () => {
  it('names the fields that do not hold, never their values', () => {
    let thrown: unknown;
    try {
      parseWhatsAppCloudConfig({
        accessToken: 'tok',
        appSecret: '',
        phoneNumberId: '+1555',
        apiVersion: '23',
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderConfigError);
    expect((thrown as ProviderConfigError).problems.map((p) => p.field)).toEqual([
      'appSecret',
      'phoneNumberId',
      'apiVersion',
    ]);
    expect((thrown as Error).message).not.toContain('+1555');
  });
});
