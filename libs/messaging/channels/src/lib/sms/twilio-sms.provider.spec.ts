import { createHmac } from 'node:crypto';
import type { WebhookRequest } from '../channel-provider';
import { ProviderConfigError, WebhookPayloadError } from '../provider-errors';
import { noAnswerOutcome } from '../provider-http';
import { parseTwilioSmsConfig } from './twilio-sms.config';
import { classifyTwilioAnswer, TwilioSmsProvider } from './twilio-sms.provider';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const SID = 'SM0123456789abcdef0123456789abcdef';
const NOW = 1_765_000_000_000;

const provider = (authToken = 'secret-token'): TwilioSmsProvider =>
  new TwilioSmsProvider(parseTwilioSmsConfig({ accountSid: ACCOUNT, authToken, from: '+15005550006' }), {
    now: () => NOW,
  });

/** A signature computed here as Twilio documents it, independently of the SDK the adapter uses. */
function sign(authToken: string, url: string, params: Record<string, string>): string {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  return createHmac('sha1', authToken).update(data).digest('base64');
}

function formRequest(url: string, params: Record<string, string>, signature?: string): WebhookRequest {
  return {
    url,
    headers: signature === undefined ? {} : { 'X-Twilio-Signature': signature },
    rawBody: Buffer.from(new URLSearchParams(params).toString()),
  };
}

describe('TwilioSmsProvider webhooks', () => {
  // The example of Twilio's request-validation documentation, as Twilio's own libraries test it.
  const vectorUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const vectorParams = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  };

  it("accepts Twilio's documented signature vector and refuses it for a changed parameter or URL", () => {
    const twilio = provider('12345');
    expect(sign('12345', vectorUrl, vectorParams)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilio.verifyWebhook(formRequest(vectorUrl, vectorParams, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='))).toBe(
      true,
    );
    expect(
      twilio.verifyWebhook(
        formRequest(vectorUrl, { ...vectorParams, Digits: '9999' }, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='),
      ),
    ).toBe(false);
    expect(
      twilio.verifyWebhook(
        formRequest(
          'https://mycompany.com/myapp.php?foo=1&bar=3',
          vectorParams,
          'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
        ),
      ),
    ).toBe(false);
  });

  it('refuses a missing signature, one made with another token, and a body past the limit', () => {
    const twilio = provider();
    const url = 'https://closeout.example/webhooks/sms?messageId=m-1';
    const params = { AccountSid: ACCOUNT, MessageSid: SID, MessageStatus: 'delivered' };
    expect(twilio.verifyWebhook(formRequest(url, params, sign('secret-token', url, params)))).toBe(true);
    expect(twilio.verifyWebhook(formRequest(url, params))).toBe(false);
    expect(twilio.verifyWebhook(formRequest(url, params, sign('another-token', url, params)))).toBe(false);
    const huge = { ...params, Padding: 'x'.repeat(70 * 1024) };
    expect(twilio.verifyWebhook(formRequest(url, huge, sign('secret-token', url, huge)))).toBe(false);
  });

  it('reads status callbacks as delivery states, with the error code of an undelivered message', () => {
    const twilio = provider();
    const url = 'https://closeout.example/webhooks/sms?messageId=m-1';
    const status = (s: string, extra: Record<string, string> = {}) =>
      twilio.parseWebhook(
        formRequest(url, { AccountSid: ACCOUNT, MessageSid: SID, MessageStatus: s, ...extra }),
      );
    expect(status('queued')).toEqual([
      { kind: 'status', providerRef: SID, messageId: 'm-1', state: 'QUEUED', at: NOW },
    ]);
    expect(status('sent')[0]).toMatchObject({ state: 'SENT' });
    expect(status('delivered')[0]).toMatchObject({ state: 'DELIVERED' });
    expect(status('undelivered', { ErrorCode: '30003' })[0]).toMatchObject({
      state: 'UNDELIVERED',
      errorCode: '30003',
    });
    expect(status('failed', { ErrorCode: '30008' })[0]).toMatchObject({
      state: 'FAILED',
      errorCode: '30008',
    });
    expect(twilio.messageIdOf(formRequest(url, {}))).toBe('m-1');
  });

  it('reads an inbound message as the customer reply', () => {
    const events = provider().parseWebhook(
      formRequest('https://closeout.example/webhooks/sms/inbound', {
        AccountSid: ACCOUNT,
        MessageSid: SID,
        From: '+447700900123',
        To: '+15005550006',
        Body: 'STOP',
        SmsStatus: 'received',
      }),
    );
    expect(events).toEqual([
      { kind: 'inbound', from: '+447700900123', text: 'STOP', providerRef: SID, at: NOW },
    ]);
  });

  it('names the field of a body it cannot read', () => {
    const twilio = provider();
    const parse = (params: Record<string, string>) => () =>
      twilio.parseWebhook(formRequest('https://closeout.example/webhooks/sms', params));
    expect(parse({ AccountSid: 'AC' + 'f'.repeat(32), MessageSid: SID, MessageStatus: 'sent' })).toThrow(
      expect.objectContaining({ field: 'AccountSid' }),
    );
    expect(parse({ AccountSid: ACCOUNT, MessageSid: 'nope', MessageStatus: 'sent' })).toThrow(
      expect.objectContaining({ field: 'MessageSid' }),
    );
    expect(parse({ AccountSid: ACCOUNT, MessageSid: SID, MessageStatus: 'exploded' })).toThrow(
      WebhookPayloadError,
    );
    expect(parse({ AccountSid: ACCOUNT, MessageSid: SID, MessageStatus: 'exploded' })).toThrow(
      expect.objectContaining({ field: 'MessageStatus' }),
    );
    expect(parse({ AccountSid: ACCOUNT, MessageSid: SID, Body: 'hi', From: 'someone' })).toThrow(
      expect.objectContaining({ field: 'From' }),
    );
  });
});

describe('classifyTwilioAnswer', () => {
  const context = { name: 'twilio', defaultRetryAfterMs: 1_000, now: () => NOW };
  const to = '+447700900123';
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers,
    data: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const error = (code: number, status: number) => ({
    code,
    message: 'something about +447700900123',
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });

  it('takes a 201 that names a Message sid and the number sent to', () => {
    expect(classifyTwilioAnswer(answer(201, { sid: SID, to, status: 'queued' }), to, context)).toEqual({
      kind: 'accepted',
      providerRef: SID,
    });
  });

  it('calls a 201 for another number, or without a sid, unknown: evidence, not truth', () => {
    expect(classifyTwilioAnswer(answer(201, { sid: SID, to: '+15005550009' }), to, context)).toMatchObject({
      kind: 'unknown',
    });
    expect(classifyTwilioAnswer(answer(201, { to }), to, context)).toMatchObject({ kind: 'unknown' });
    expect(classifyTwilioAnswer(answer(201, 'not json'), to, context)).toMatchObject({ kind: 'unknown' });
  });

  it('reads 429 with Retry-After as a retryable rejection', () => {
    expect(classifyTwilioAnswer(answer(429, error(20429, 429), { 'retry-after': '7' }), to, context)).toEqual(
      {
        kind: 'rejected',
        permanent: false,
        reason: 'twilio 20429: too many requests (HTTP 429)',
        retryAfterMs: 7_000,
      },
    );
    expect(classifyTwilioAnswer(answer(429, error(20429, 429)), to, context)).toMatchObject({
      retryAfterMs: 1_000,
    });
  });

  it("reads Twilio's 5xx as retryable, and a 5xx without Twilio's body (a gateway) as unknown", () => {
    expect(classifyTwilioAnswer(answer(500, error(20500, 500)), to, context)).toMatchObject({
      kind: 'rejected',
      permanent: false,
    });
    expect(classifyTwilioAnswer(answer(502, '<html>Bad Gateway</html>'), to, context)).toMatchObject({
      kind: 'unknown',
    });
  });

  it('reads other 4xx as permanent with the Twilio code, never quoting its message', () => {
    const invalid = classifyTwilioAnswer(answer(400, error(21211, 400)), to, context);
    expect(invalid).toEqual({
      kind: 'rejected',
      permanent: true,
      reason: "twilio 21211: invalid 'To' number (HTTP 400)",
    });
    expect(classifyTwilioAnswer(answer(400, error(21610, 400)), to, context)).toMatchObject({
      permanent: true,
      reason: expect.stringContaining('21610'),
    });
    expect(JSON.stringify(invalid)).not.toContain('447700900123');
    expect(classifyTwilioAnswer(answer(401, error(20003, 401)), to, context)).toMatchObject({
      permanent: false,
    });
  });

  it('tells a request that never left from one that may have been taken', () => {
    expect(noAnswerOutcome({ code: 'ECONNREFUSED' }, 'twilio', 1_000)).toMatchObject({
      kind: 'rejected',
      permanent: false,
    });
    expect(noAnswerOutcome({ code: 'ECONNABORTED' }, 'twilio', 1_000)).toMatchObject({ kind: 'unknown' });
    expect(noAnswerOutcome({ code: 'ECONNRESET' }, 'twilio', 1_000)).toMatchObject({ kind: 'unknown' });
  });
});

describe('TwilioSmsProvider send checks and configuration', () => {
  it('refuses without sending what Twilio would refuse', async () => {
    const base = { messageId: 'm-1', channel: 'SMS' as const, to: '+447700900123', text: 'hello' };
    await expect(provider().send({ ...base, to: '07700 900123' })).resolves.toMatchObject({
      kind: 'rejected',
      permanent: true,
      reason: 'twilio: to: must be an E.164 number',
    });
    await expect(provider().send({ ...base, text: 'x'.repeat(1601) })).resolves.toMatchObject({
      permanent: true,
    });
  });

  it('names every configuration field that does not hold, never its value', () => {
    let thrown: unknown;
    try {
      parseTwilioSmsConfig({ accountSid: 'AC-secretish', authToken: '', timeoutMs: 0, extra: 1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderConfigError);
    const problems = (thrown as ProviderConfigError).problems.map((p) => p.field);
    expect(problems).toEqual(expect.arrayContaining(['accountSid', 'authToken', 'timeoutMs', '(config)']));
    expect((thrown as Error).message).not.toContain('AC-secretish');
    expect(() => parseTwilioSmsConfig({ accountSid: ACCOUNT, authToken: 't' })).toThrow(
      expect.objectContaining({ field: 'from' }),
    );
  });
});
