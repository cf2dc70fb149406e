/**
 * The journey helpers read what really arrived: mail sent over SMTP to the devstack's SMTP sink (read through its API),
 * SMS sent through the simulated Twilio-compatible provider's API (read from its journal). Each run uses its own
 * recipients, so other runs sharing the sink do not cross-talk.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { startSmsProvider, type SmsProvider } from '@closeout/simulators/sms-provider';
import { messagesTo, readLatestCode, readLatestLink, waitForLatestCode, waitForLatestLink } from './journey';

const BASE = 'http://127.0.0.1:3004';
const token = (): string => randomBytes(32).toString('base64url');
const link = (t: string): string => `${BASE}/l/${t}`;
const ACCOUNT = {
  accountSid: `AC${'0'.repeat(31)}9`,
  authToken: 'journey-spec-auth-token',
  numbers: ['+15005550006'],
};

describe('reading links and codes from the SMTP sink and the simulated SMS provider', () => {
  const run = randomBytes(4).toString('hex');
  let sms: SmsProvider;

  beforeAll(async () => {
    sms = await startSmsProvider({ account: ACCOUNT });
  });

  afterAll(async () => {
    await sms?.close();
  });

  async function sendMail(to: string, text: string, html?: string): Promise<void> {
    const transport = createTransport({
      host: process.env['SMTP_HOST'],
      port: Number(process.env['SMTP_PORT']),
    });
    try {
      await transport.sendMail({
        from: 'no-reply@journey-spec.closeout.example',
        to,
        subject: 'test',
        text,
        html,
      });
    } finally {
      transport.close();
    }
  }

  async function sendSms(to: string, body: string): Promise<void> {
    const res = await fetch(`${sms.url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${ACCOUNT.accountSid}:${ACCOUNT.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ To: to, From: ACCOUNT.numbers[0]!, Body: body }).toString(),
    });
    expect(res.status).toBe(201);
  }

  it('email: the newest link (not its unsubscribe URL), the newest code, and only since a time', async () => {
    const email = `journey-${run}@example.com`;
    const [first, second] = [token(), token()];
    await sendMail(email, `Open ${link(first)}`);
    await sendMail(
      email,
      `Open ${link(second)}\n\nUnsubscribe: ${link(second)}/unsubscribe`,
      `<p><a href="${link(second)}">Open</a></p><p>Unsubscribe: ${link(second)}/unsubscribe</p>`,
    );
    expect(await waitForLatestLink({ email }, { baseUrl: BASE })).toBe(link(second));

    const askedAt = new Date();
    expect(await readLatestCode({ email }, { since: askedAt })).toBeUndefined();
    await sendMail(
      email,
      'Your Closeout Bank code is 604213. It is valid for 10 minutes.',
      '<p>Your Closeout Bank code is <strong>604213</strong>.</p>',
    );
    expect(await waitForLatestCode({ email }, { since: askedAt })).toBe('604213');
    // The code mail carries no link: the newest link is still the second message's; none since the code was asked.
    expect(await readLatestLink({ email })).toBe(link(second));
    expect(await readLatestLink({ email }, { since: askedAt })).toBeUndefined();

    const received = await messagesTo({ email });
    expect(received.map((m) => m.channel)).toEqual(['EMAIL', 'EMAIL', 'EMAIL']);
    expect(received[1]!.bodies).toHaveLength(2);
    // Another address's mail is not this one's.
    expect(await readLatestLink({ email: `journey-${run}-other@example.com` })).toBeUndefined();
  });

  it('SMS: the newest link and code sent to a number, not those of another number', async () => {
    const phone = `+1500555${String(randomInt(1000, 9999))}`;
    const other = `+1500556${String(randomInt(1000, 9999))}`;
    const [first, second, theirs] = [token(), token(), token()];
    await sendSms(phone, `Pay by 12 December: ${link(first)} Reply STOP to opt out.`);
    await sendSms(phone, `Pay by 13 December: ${link(second)} Reply STOP to opt out.`);
    await sendSms(other, `Pay by 14 December: ${link(theirs)} Reply STOP to opt out.`);
    await sendSms(other, 'Your Closeout Bank code is 111111.');
    expect(await readLatestLink({ phone, smsProviderUrl: sms.url })).toBe(link(second));
    expect(await readLatestCode({ phone, smsProviderUrl: sms.url })).toBeUndefined();

    await sendSms(phone, 'Your Closeout Bank code is 078341. It is valid for 10 minutes. Never share it.');
    expect(await waitForLatestCode({ phone, smsProviderUrl: sms.url })).toBe('078341');
    expect(await readLatestLink({ phone: other, smsProviderUrl: sms.url })).toBe(link(theirs));
  });

  it('waiting gives up after the timeout, naming the channel and not the recipient', async () => {
    const email = `journey-${run}-nobody@example.com`;
    await expect(waitForLatestLink({ email }, { timeoutMs: 600 })).rejects.toThrow(
      /^no mini-app link reached the EMAIL recipient within 600 ms$/,
    );
    const smsProviderUrl = process.env['SMS_PROVIDER_URL'];
    delete process.env['SMS_PROVIDER_URL'];
    try {
      await expect(waitForLatestCode({ phone: '+15005550199' }, { timeoutMs: 10 })).rejects.toThrow(
        'SMS_PROVIDER_URL is not set',
      );
    } finally {
      if (smsProviderUrl !== undefined) process.env['SMS_PROVIDER_URL'] = smsProviderUrl;
    }
  });
});
