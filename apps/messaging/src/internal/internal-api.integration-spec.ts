/**
 * Messaging's side of the mini-app, in-process against the real Kafka, registry and PostgreSQL and a simulated SMS
 * provider: the SENT event carries the link of the message delivered; the internal API sends one-time codes (one SMS
 * each, nothing of the code stored or logged, five per link per hour) and records opt-outs as the unsubscribe link
 * does; bearer tokens guard it and bad input is refused naming the field.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { Topics, type OutreachEvent } from '@closeout/contracts';
import type { SmsProvider } from '@closeout/simulators/sms-provider';
import { linkTokenSha256 } from '../links/mini-app-link';
import {
  afternoonZone,
  MINIAPP,
  newPhone,
  settle,
  startMessagingUnderTest,
  until,
  type MessagingUnderTest,
} from '../test-support/messaging-it';

const run = randomBytes(4).toString('hex');
const FROM = `no-reply-${run}@closeout.example`;
const ACCOUNT = { accountSid: `AC${'cd'.repeat(16)}`, authToken: `token-${run}`, numbers: ['+15005550006'] };
const API_TOKEN = `mini-app-token-${run}-${randomBytes(8).toString('hex')}`;

/** The service's log so far (LOG_FILE, set by the integration setup): where a send's lines land. */
function logSize(): number {
  const file = process.env['LOG_FILE'];
  if (!file) throw new Error('LOG_FILE: must be set (tools/jest/integration-timeout.ts sets it)');
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
const logSince = (offset: number): string =>
  readFileSync(process.env['LOG_FILE']!).subarray(offset).toString('utf8');

describe('messaging internal API (the mini-app side)', () => {
  let service: MessagingUnderTest;
  let sms: SmsProvider;
  let db: DataSource;

  beforeAll(async () => {
    service = await startMessagingUnderTest({
      run,
      name: 'messaging-internal-it',
      from: FROM,
      smsAccount: ACCOUNT,
      timeZone: afternoonZone(),
      observeEvents: true,
      env: { MESSAGING_INTERNAL_API_TOKENS: `mini-app=${API_TOKEN}` },
    });
    ({ sms, db } = service);
  });

  afterAll(async () => {
    await service?.close();
  });

  /** POSTs to the internal API with the bearer token (`null`: no Authorization header). */
  const call = (path: string, body: unknown, token: string | null = API_TOKEN) =>
    fetch(`${service.base}/internal/v1/links/${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** An SMS outreach to a new customer, SENT: its request, the SENT event and the token in the delivered SMS. */
  async function sentSms(phone: string) {
    const customerId = await service.customer({ phone }, ['SMS']);
    const request = service.outreach(customerId, 'SMS');
    await service.publish(request);
    const sent = await until('outreach.event SENT', async () =>
      (await service.eventsOf(request.caseId)).find((e) => e.status === 'SENT'),
    );
    const entries = sms.journal().filter((m) => m.to === phone);
    expect(entries).toHaveLength(1);
    const token = new RegExp(`${MINIAPP}/l/([A-Za-z0-9_-]{43})`).exec(entries[0]!.body)?.[1];
    expect(token).toBeDefined();
    return { customerId, request, sent, token: token! };
  }

  it('publishes SENT with the link of the delivered message: the SHA-256 of its token, the case, the expiry and the locale', async () => {
    const { customerId, request, sent, token } = await sentSms(newPhone());
    expect(sent.link).toEqual({
      tokenSha256: linkTokenSha256(token),
      customerId,
      workflowId: request.workflowId,
      purpose: request.purpose,
      expiresAt: request.linkExpiresAt,
      locale: 'en',
    });
    const stored: Array<{ locale: string }> = await db.query(
      'SELECT locale FROM link WHERE token_sha256 = $1',
      [linkTokenSha256(token)],
    );
    expect(stored).toEqual([{ locale: 'en' }]);
  });

  it('sends a one-time code by SMS at once, to the same number, storing and logging nothing of the code', async () => {
    const phone = newPhone();
    const { request, token } = await sentSms(phone);
    const tokenSha256 = linkTokenSha256(token);
    const code = '480613';
    const logFrom = logSize();

    const res = await call(`${tokenSha256}/one-time-code`, { code });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ channel: 'SMS', sentTo: `•••••••${phone.slice(-2)}` });

    const codes = sms.journal().filter((m) => m.to === phone && m.body.includes('code'));
    expect(codes).toHaveLength(1);
    expect(codes[0]!.body).toBe(
      `Your Closeout Bank code is ${code}. It is valid for 10 minutes. Never share it: we will never ask you for it.`,
    );
    // Recorded and audited, without the code.
    const recorded: Array<Record<string, unknown>> = await db.query(
      'SELECT * FROM link_message WHERE token_sha256 = $1',
      [tokenSha256],
    );
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      kind: 'one-time-code',
      channel: 'SMS',
      status: 'SENT',
      provider_ref: codes[0]!.sid,
    });
    const outbox: Array<{ topic: string; value: { action?: string } }> = await db.query(
      `SELECT topic, value FROM outbox WHERE value->>'correlationId' = $1 ORDER BY id`,
      [request.correlationId],
    );
    expect(outbox.filter((m) => m.topic === Topics.auditEvent).map((m) => m.value.action)).toContain(
      'one-time-code.sent',
    );
    expect(JSON.stringify(recorded)).not.toContain(code);
    expect(JSON.stringify(outbox)).not.toContain(code);
    expect(JSON.stringify(outbox)).not.toContain(phone);
    // The send's log lines are there, and no 6-digit code is among them.
    const log = logSince(logFrom);
    expect(log).toContain('one-time code sent');
    expect(log).not.toContain(code);
    expect(log).not.toMatch(/(?<![0-9])[0-9]{6}(?![0-9])/);
    // Customer-initiated: not a contact attempt.
    const attempts: unknown[] = await db.query(
      'SELECT 1 FROM contact_attempt WHERE send_id IN (SELECT send_id FROM link WHERE token_sha256 = $1)',
      [tokenSha256],
    );
    expect(attempts).toHaveLength(1);
  });

  it('sends at most 5 codes per link in an hour: the 6th is 429 with Retry-After, and not sent', async () => {
    const phone = newPhone();
    const { token } = await sentSms(phone);
    const tokenSha256 = linkTokenSha256(token);
    for (let i = 0; i < 5; i++)
      expect((await call(`${tokenSha256}/one-time-code`, { code: `10000${i}` })).status).toBe(202);
    const sixth = await call(`${tokenSha256}/one-time-code`, { code: '100005' });
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(3_000);
    expect(Number(sixth.headers.get('retry-after'))).toBeLessThanOrEqual(3_600);
    expect(sms.journal().filter((m) => m.to === phone && m.body.includes('code'))).toHaveLength(5);
  });

  it('refuses a wrong or missing bearer token with 401 and sends nothing', async () => {
    const phone = newPhone();
    const { token } = await sentSms(phone);
    const path = `${linkTokenSha256(token)}/one-time-code`;
    for (const bearer of [`${API_TOKEN}x`, 'mini-app', null]) {
      const res = await call(path, { code: '123456' }, bearer);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    await settle(300);
    expect(sms.journal().filter((m) => m.to === phone)).toHaveLength(1);
    const recorded: unknown[] = await db.query('SELECT 1 FROM link_message WHERE token_sha256 = $1', [
      linkTokenSha256(token),
    ]);
    expect(recorded).toEqual([]);
  });

  it('refuses bad input naming the field and the rule, an unknown link with 404, a large body with 413', async () => {
    const unknown = 'f'.repeat(64);
    const cases: Array<[string, unknown, number, Array<{ field: string }>]> = [
      ['NOT-A-HASH/one-time-code', { code: '123456' }, 400, [{ field: 'tokenSha256' }]],
      [`${unknown}/one-time-code`, { code: '12345' }, 400, [{ field: 'code' }]],
      [`${unknown}/one-time-code`, { code: 123456 }, 400, [{ field: 'code' }]],
      [`${unknown}/one-time-code`, { code: '123456', extra: 1 }, 400, [{ field: '(body)' }]],
      [`${unknown}/opt-out`, { source: 'email' }, 400, [{ field: 'source' }]],
      [`${unknown}/one-time-code`, { code: '123456' }, 404, [{ field: 'tokenSha256' }]],
      [`${unknown}/opt-out`, { source: 'mini-app' }, 404, [{ field: 'tokenSha256' }]],
    ];
    for (const [path, body, status, errors] of cases) {
      const res = await call(path, body);
      expect({ path, status: res.status }).toEqual({ path, status });
      const problem = (await res.json()) as { errors: unknown[] };
      expect(problem.errors).toEqual(errors.map((e) => expect.objectContaining(e)));
    }
    const large = await call(
      `${unknown}/one-time-code`,
      JSON.stringify({ code: '123456', pad: 'x'.repeat(2048) }),
    );
    expect(large.status).toBe(413);
  });

  it('records an opt-out from the mini-app: OPTED_OUT once, codes refused with 409, the next send for the purpose suppressed', async () => {
    const phone = newPhone();
    const { customerId, request, token } = await sentSms(phone);
    const tokenSha256 = linkTokenSha256(token);

    const first = await call(`${tokenSha256}/opt-out`, { source: 'mini-app' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ optedOut: true, alreadyOptedOut: false });
    const optedOut = await until('outreach.event OPTED_OUT', async () =>
      (await service.eventsOf(request.caseId)).find((e) => e.status === 'OPTED_OUT'),
    );
    expect(optedOut).toMatchObject({ channel: 'SMS', reason: 'SUPPRESSED_OPTED_OUT', link: null });
    const again = await call(`${tokenSha256}/opt-out`, { source: 'mini-app' });
    expect(await again.json()).toEqual({ optedOut: true, alreadyOptedOut: true });
    const revocations: Array<{ source: string }> = await db.query(
      'SELECT source FROM consent_revocation WHERE customer_id = $1',
      [customerId],
    );
    expect(revocations).toEqual([{ source: 'mini-app' }]);

    expect((await call(`${tokenSha256}/one-time-code`, { code: '123456' })).status).toBe(409);

    const next = service.outreach(customerId, 'SMS');
    await service.publish(next);
    const suppressed = await until('outreach.event SUPPRESSED', async () =>
      (await service.eventsOf(next.caseId)).find((e) => e.status === 'SUPPRESSED'),
    );
    expect(suppressed.reason).toBe('SUPPRESSED_OPTED_OUT');
    await settle(300);
    // The outreach's SMS and the one confirmation; no code, nothing for the suppressed request.
    const bodies = sms
      .journal()
      .filter((m) => m.to === phone)
      .map((m) => m.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toMatch(/unsubscribed/);
    expect(
      (await service.eventsOf(request.caseId)).filter((e: OutreachEvent) => e.status === 'OPTED_OUT'),
    ).toHaveLength(1);
  });
});
