import type { ChannelProvider, OutboundMessage, WebhookRequest } from '../channel-provider';
import { EmailProvider, EmailProviderError } from './email-provider';
import { parseEmailProviderConfig } from './email-provider.config';

// Port 9 (discard) on loopback: nothing in these specs may reach it — every case is decided before connecting.
const config = parseEmailProviderConfig({
  host: '127.0.0.1',
  port: 9,
  fromAddress: 'no-reply@closeout.example',
  tls: { mode: 'none' },
});

const message: OutboundMessage = {
  messageId: 'outreach-1.attempt-1',
  channel: 'EMAIL',
  to: 'customer@example.com',
  subject: 'Your payment',
  text: 'Open https://app.closeout.example/c/abc',
};

function provider() {
  const lines: { obj: object; msg: string }[] = [];
  return { lines, email: new EmailProvider(config, { warn: (obj, msg) => lines.push({ obj, msg }) }) };
}

/** As the messaging service holds it: through the port. */
const port = (): ChannelProvider => provider().email;

const webhook: WebhookRequest = {
  url: 'https://messaging.example/webhooks/email',
  headers: {},
  rawBody: Buffer.from('{}'),
};

describe('EmailProvider', () => {
  it.each<[string, Partial<OutboundMessage>, string]>([
    ['another channel', { channel: 'SMS' }, 'channel: must be EMAIL'],
    ['two recipients', { to: 'a@example.com, b@example.com' }, 'to: must be one e-mail address'],
    [
      'a header break in the address',
      { to: 'a@example.com\r\nBcc: b@example.com' },
      'to: must be one e-mail address',
    ],
    ['no subject', { subject: '  ' }, 'subject: must be a non-empty string'],
    [
      'a messageId that cannot form a Message-ID',
      { messageId: 'a b>' },
      'messageId: must be 1 to 200 characters of RFC 5322 dot-atom text',
    ],
    [
      'a plain-http unsubscribe link',
      { unsubscribeUrl: 'http://app.closeout.example/u' },
      'unsubscribeUrl: must be an https URL (http only to this machine) of at most 900 characters',
    ],
    [
      'a mailto unsubscribe link',
      { unsubscribeUrl: 'mailto:unsubscribe@closeout.example' },
      'unsubscribeUrl: must be an https URL (http only to this machine) of at most 900 characters',
    ],
  ])('refuses %s for good, before connecting', async (_what, change, reason) => {
    const { email, lines } = provider();
    await expect(email.send({ ...message, ...change })).resolves.toEqual({
      kind: 'rejected',
      permanent: true,
      reason,
    });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('example.com');
  });

  it('names its Message-ID after our messageId and the From domain', () => {
    expect(provider().email.messageIdHeader('outreach-1.attempt-1')).toBe(
      '<outreach-1.attempt-1@closeout.example>',
    );
    const own = new EmailProvider(
      parseEmailProviderConfig({ ...config, messageIdDomain: 'mail.closeout.example' }),
      {
        warn: () => undefined,
      },
    );
    expect(own.messageIdHeader('m-1')).toBe('<m-1@mail.closeout.example>');
  });

  it('answers every lookup inconclusive: SMTP has none', async () => {
    await expect(
      port().lookup({ messageId: 'm-1', providerRef: '<m-1@closeout.example>' }),
    ).resolves.toMatchObject({
      kind: 'inconclusive',
    });
  });

  it('verifies no webhook and refuses to read one', () => {
    const email = port();
    expect(email.verifyWebhook(webhook)).toBe(false);
    expect(() => email.parseWebhook(webhook)).toThrow(EmailProviderError);
    expect(() => email.parseWebhook(webhook)).toThrow(
      'webhook: the SMTP email provider receives no webhooks',
    );
  });

  it('is the EMAIL channel under its configured name', () => {
    expect(provider().email).toMatchObject({ channel: 'EMAIL', name: 'smtp' });
  });
});
