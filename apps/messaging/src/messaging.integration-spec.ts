/**
 * The messaging service in-process (its own AppModule) against the real Kafka, registry and PostgreSQL, the devstack's
 * SMTP sink (SMTP_HOST, SMTP_PORT, its read API at SMTP_SINK_URL) and a simulated Twilio-compatible SMS provider
 * started here, which calls the service's webhooks over HTTP. Each run has its own schema, service name (hence
 * consumer groups), customers and recipients.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Topics, type OutreachEvent, type OutreachRequested } from '@closeout/contracts';
import { twilioSignature, type SmsProvider } from '@closeout/simulators/sms-provider';
import { linkTokenSha256 } from './links/mini-app-link';
import {
  afternoonZone,
  mailTo,
  MINIAPP,
  newEmail,
  newPhone,
  settle,
  startMessagingUnderTest,
  until,
  type MessagingUnderTest,
} from './test-support/messaging-it';

const run = randomBytes(4).toString('hex');
/** This run's sender: other services on the shared devstack may mail the same recipients. */
const FROM = `no-reply-${run}@closeout.example`;
const ACCOUNT = { accountSid: `AC${'ab'.repeat(16)}`, authToken: `token-${run}`, numbers: ['+15005550006'] };

describe('messaging service', () => {
  let service: MessagingUnderTest;
  let sms: SmsProvider;
  let db: DataSource;
  let base: string;
  let customer: MessagingUnderTest['customer'];
  let outreach: MessagingUnderTest['outreach'];
  let publish: (request: OutreachRequested) => Promise<unknown>;
  let eventsOf: (caseId: string) => Promise<OutreachEvent[]>;

  beforeAll(async () => {
    service = await startMessagingUnderTest({
      run,
      name: 'messaging-it',
      from: FROM,
      smsAccount: ACCOUNT,
      timeZone: afternoonZone(),
      observeEvents: true,
    });
    ({ sms, db, base, customer, outreach, publish, eventsOf } = service);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('sends an email with the mini-app link and List-Unsubscribe once, and reports it SENT once, however often the request comes', async () => {
    const email = newEmail();
    const customerId = await customer({ email }, [{ channel: 'EMAIL', purpose: 'servicing-collections' }]);
    const request = outreach(customerId, 'EMAIL');
    await publish(request);

    const sent = await until('outreach.event SENT', async () =>
      (await eventsOf(request.caseId)).find((e) => e.status === 'SENT'),
    );
    const mails = await until('the mail in the SMTP sink', async () => {
      const found = await mailTo(email, FROM);
      return found.length > 0 ? found : undefined;
    });
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.subject).toBe('Your scheduled payment did not go through');
    const token = new RegExp(`${MINIAPP}/l/([A-Za-z0-9_-]{43})`).exec(mail.text ?? '')?.[1];
    expect(token).toBeDefined();
    expect(mail.html).toContain(`href="${MINIAPP}/l/${token}"`);
    expect(mail.text).toContain(`To stop these emails, unsubscribe: ${MINIAPP}/l/${token}/unsubscribe`);
    expect(mail.headers['list-unsubscribe']).toEqual([`<${MINIAPP}/l/${token}/unsubscribe>`]);
    expect(mail.headers['list-unsubscribe-post']).toEqual(['List-Unsubscribe=One-Click']);
    expect(sent).toMatchObject({ channel: 'EMAIL', outreachId: request.outreachId, reason: null });
    expect(sent.providerRef).toBe(mail.headers['message-id']?.[0]);

    // Only the token's hash is stored, with the case, the outreach, the purpose and the expiry.
    const links: Array<{ token_sha256: string; case_id: string; purpose: string; expires_at: Date }> =
      await db.query('SELECT token_sha256, case_id, purpose, expires_at FROM link WHERE outreach_id = $1', [
        request.outreachId,
      ]);
    expect(links).toEqual([
      {
        token_sha256: linkTokenSha256(token!),
        case_id: request.caseId,
        purpose: 'servicing-collections',
        expires_at: new Date(request.linkExpiresAt),
      },
    ]);

    // The same request again, and under another event id: admitted once, nothing more is sent.
    await publish(request);
    await publish({ ...request, eventId: `${request.eventId}-again` });
    await until('the redelivered request to be handled', async () => {
      const rows: unknown[] = await db.query('SELECT 1 FROM processed_event WHERE event_id = $1', [
        `${request.eventId}-again`,
      ]);
      return rows.length > 0 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await mailTo(email, FROM)).toHaveLength(1);
    expect((await eventsOf(request.caseId)).map((e) => e.status)).toEqual(['SENT']);
    const sends: Array<{ status: string; send_attempts: number }> = await db.query(
      'SELECT status, send_attempts FROM send WHERE outreach_id = $1',
      [request.outreachId],
    );
    expect(sends).toEqual([{ status: 'SENT', send_attempts: 1 }]);

    // The decision's evidence went through the outbox; no contact point is in it.
    const outbox: Array<{ topic: string; value: { action?: string } }> = await db.query(
      `SELECT topic, value FROM outbox WHERE value->>'caseId' = $1 ORDER BY id`,
      [request.caseId],
    );
    expect(outbox.filter((m) => m.topic === Topics.auditEvent).map((m) => m.value.action)).toEqual([
      'outreach.received',
      'outreach.sent',
    ]);
    expect(JSON.stringify(outbox)).not.toContain(email);
  });

  it('suppresses a request the customer has not consented to: SUPPRESSED_NO_CONSENT, and no mail', async () => {
    const email = newEmail();
    const customerId = await customer({ email }, [
      { channel: 'EMAIL', purpose: 'compliance-kyc' },
      { channel: 'EMAIL', purpose: 'servicing-collections', granted: false },
    ]);
    const request = outreach(customerId, 'EMAIL');
    await publish(request);

    const suppressed = await until('outreach.event SUPPRESSED', async () =>
      (await eventsOf(request.caseId)).find((e) => e.status === 'SUPPRESSED'),
    );
    expect(suppressed).toMatchObject({
      channel: 'EMAIL',
      reason: 'SUPPRESSED_NO_CONSENT',
      providerRef: null,
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await mailTo(email, FROM)).toEqual([]);
    const links: unknown[] = await db.query('SELECT 1 FROM link WHERE outreach_id = $1', [
      request.outreachId,
    ]);
    expect(links).toEqual([]);
  });

  it('sends an SMS through the provider and reports it SENT with the provider reference', async () => {
    const phone = newPhone();
    const customerId = await customer({ phone }, [{ channel: 'SMS', purpose: 'servicing-collections' }]);
    const request = outreach(customerId, 'SMS');
    await publish(request);

    const sent = await until('outreach.event SENT', async () =>
      (await eventsOf(request.caseId)).find((e) => e.status === 'SENT'),
    );
    const journal = sms.journal().filter((m) => m.to === phone);
    expect(journal).toHaveLength(1);
    expect(sent).toMatchObject({ channel: 'SMS', providerRef: journal[0]!.sid });
    expect(journal[0]!.body).toMatch(
      new RegExp(`by .+: ${MINIAPP}/l/[A-Za-z0-9_-]{43} Reply STOP to opt out\\.$`),
    );
    const attempts: Array<{ channel: string }> = await db.query(
      'SELECT channel FROM contact_attempt WHERE customer_id = $1',
      [customerId],
    );
    expect(attempts).toEqual([{ channel: 'SMS' }]);
  });

  /** Sends an SMS outreach to a new customer and waits for it SENT: the request, its journal entry and its row. */
  async function sentSms(phone: string, emailToo?: string) {
    const customerId = await customer({ phone, ...(emailToo ? { email: emailToo } : {}) }, [
      { channel: 'SMS', purpose: 'servicing-collections' },
      ...(emailToo ? [{ channel: 'EMAIL' as const, purpose: 'servicing-collections' }] : []),
    ]);
    const request = outreach(customerId, 'SMS');
    await publish(request);
    await until('outreach.event SENT', async () =>
      (await eventsOf(request.caseId)).find((e) => e.status === 'SENT'),
    );
    const entry = sms.journal().find((m) => m.to === phone)!;
    const rows: Array<{ message_id: string; status: string }> = await db.query(
      'SELECT message_id, status FROM send WHERE outreach_id = $1',
      [request.outreachId],
    );
    return { customerId, request, entry, messageId: rows[0]!.message_id };
  }

  it('reports an SMS DELIVERED once from the status callbacks, even when the provider sends each twice', async () => {
    const phone = newPhone();
    sms.addFaults({ mode: 'duplicate_callbacks', count: 1, match: { to: phone } });
    const { request, entry } = await sentSms(phone);

    const delivered = await until('outreach.event DELIVERED', async () =>
      (await eventsOf(request.caseId)).find((e) => e.status === 'DELIVERED'),
    );
    expect(delivered).toMatchObject({ channel: 'SMS', providerRef: entry.sid, reason: null });
    // sent and delivered, each posted twice, every one answered 204.
    const calls = await until('four status callbacks answered', async () => {
      const found = sms
        .webhooks()
        .filter((w) => w.kind === 'status' && w.params['MessageSid'] === entry.sid && w.answeredStatus !== 0);
      return found.length >= 4 ? found : undefined;
    });
    expect(calls.map((c) => c.answeredStatus)).toEqual([204, 204, 204, 204]);
    await settle(1_000);
    expect((await eventsOf(request.caseId)).map((e) => e.status)).toEqual(['SENT', 'DELIVERED']);
    const rows: Array<{ status: string }> = await db.query('SELECT status FROM send WHERE outreach_id = $1', [
      request.outreachId,
    ]);
    expect(rows).toEqual([{ status: 'DELIVERED' }]);
  });

  it('refuses a forged callback with 403 and an audit event, and changes nothing; a signed one is applied', async () => {
    const phone = newPhone();
    // The provider's own callbacks come long after this test: only the calls made here reach the service.
    sms.addFaults({ mode: 'late_callbacks', count: 1, delayMs: 120_000, match: { to: phone } });
    const { request, entry, messageId } = await sentSms(phone);
    const url = `${base}/webhooks/sms/twilio?messageId=${encodeURIComponent(messageId)}`;
    const params: [string, string][] = [
      ['AccountSid', ACCOUNT.accountSid],
      ['MessageSid', entry.sid],
      ['MessageStatus', 'delivered'],
    ];
    const post = (headers: Record<string, string>, body = new URLSearchParams(params).toString()) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });

    const forged = await post({ 'x-twilio-signature': twilioSignature('not-the-token', url, params) });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');
    expect(await forged.json()).toMatchObject({ status: 403, title: 'Forbidden' });
    expect((await post({})).status).toBe(403);
    const refusals: Array<{ value: { action: string; references: Record<string, string> } }> = await db.query(
      `SELECT value FROM outbox WHERE topic = $1 AND value->>'action' = 'messaging.webhook.refused'`,
      [Topics.auditEvent],
    );
    expect(refusals).toHaveLength(2);
    expect(refusals[0]!.value.references).toEqual({ channel: 'SMS', provider: 'twilio' });
    await settle(1_000);
    expect((await eventsOf(request.caseId)).map((e) => e.status)).toEqual(['SENT']);
    const before: Array<{ status: string }> = await db.query(
      'SELECT status FROM send WHERE outreach_id = $1',
      [request.outreachId],
    );
    expect(before).toEqual([{ status: 'SENT' }]);

    // A signed body the provider cannot read: 400 naming the field.
    const unreadable: [string, string][] = [
      ['AccountSid', ACCOUNT.accountSid],
      ['MessageStatus', 'delivered'],
    ];
    const bad = await post(
      { 'x-twilio-signature': twilioSignature(ACCOUNT.authToken, url, unreadable) },
      new URLSearchParams(unreadable).toString(),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/^MessageSid: /);

    const signed = await post({ 'x-twilio-signature': twilioSignature(ACCOUNT.authToken, url, params) });
    expect(signed.status).toBe(204);
    await until('outreach.event DELIVERED', async () =>
      (await eventsOf(request.caseId)).find((e) => e.status === 'DELIVERED'),
    );
  });

  it('takes a STOP reply as an opt-out: OPTED_OUT, one confirmation SMS, and a later EMAIL for the purpose suppressed', async () => {
    const phone = newPhone();
    const email = newEmail();
    const { customerId, request } = await sentSms(phone, email);

    await sms.customerMessage(phone, ACCOUNT.numbers[0]!, 'STOP');
    const optedOut = await until('outreach.event OPTED_OUT', async () =>
      (await eventsOf(request.caseId)).find((e) => e.status === 'OPTED_OUT'),
    );
    expect(optedOut).toMatchObject({
      channel: 'SMS',
      outreachId: request.outreachId,
      reason: 'SUPPRESSED_OPTED_OUT',
    });
    expect(
      sms.webhooks().find((w) => w.kind === 'inbound' && w.params['From'] === phone)?.answeredStatus,
    ).toBe(204);
    const confirmation = await until('the confirmation SMS', async () => {
      const sent = sms.journal().filter((m) => m.to === phone);
      return sent.length >= 2 ? sent : undefined;
    });
    expect(confirmation[1]!.body).toBe(
      'You have been unsubscribed and will get no more messages about this from Closeout Bank.',
    );

    const next = outreach(customerId, 'EMAIL');
    await publish(next);
    const suppressed = await until('outreach.event SUPPRESSED', async () =>
      (await eventsOf(next.caseId)).find((e) => e.status === 'SUPPRESSED'),
    );
    expect(suppressed).toMatchObject({ channel: 'EMAIL', reason: 'SUPPRESSED_OPTED_OUT' });
    await settle(500);
    expect(await mailTo(email, FROM)).toEqual([]);
    expect(sms.journal().filter((m) => m.to === phone)).toHaveLength(2);
    expect((await eventsOf(request.caseId)).filter((e) => e.status === 'OPTED_OUT')).toHaveLength(1);

    // No contact point in what went through the outbox.
    const outbox: unknown[] = await db.query('SELECT value FROM outbox');
    expect(JSON.stringify(outbox)).not.toContain(phone);
    expect(JSON.stringify(outbox)).not.toContain(email);
  }, 60_000);
});
