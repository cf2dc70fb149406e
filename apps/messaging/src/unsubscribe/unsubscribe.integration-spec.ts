/**
 * The email's one-click unsubscribe, end to end: the messaging service in-process (its own AppModule, listening on
 * HTTP behind configureHttp as in production) against the real Kafka, registry and PostgreSQL, the devstack's SMTP
 * sink and a simulated SMS provider. The List-Unsubscribe URL is taken from the mail the service sent; the public link
 * host routes `/l/<token>/unsubscribe` to messaging, so the test calls the same path on the service. Each run has its
 * own schema, service name, customers and sender address.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Topics, type OutreachEvent, type OutreachRequested } from '@closeout/contracts';
import type { SmsProvider } from '@closeout/simulators/sms-provider';
import { mintLinkToken } from '../links/mini-app-link';
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
} from '../test-support/messaging-it';
import { UNSUBSCRIBE_CONFIRMATION_SUBJECT } from './unsubscribe.service';

const run = randomBytes(4).toString('hex');
const FROM = `no-reply-${run}@closeout.example`;
const ACCOUNT = { accountSid: `AC${'cd'.repeat(16)}`, authToken: `token-${run}`, numbers: ['+15005550006'] };
const PURPOSE = 'servicing-collections';
const ONE_CLICK = 'List-Unsubscribe=One-Click';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the one-click unsubscribe (List-Unsubscribe, RFC 8058)', () => {
  let service: MessagingUnderTest;
  let sms: SmsProvider;
  let db: DataSource;
  let base: string;
  let eventsOf: (caseId: string) => Promise<OutreachEvent[]>;

  beforeAll(async () => {
    service = await startMessagingUnderTest({
      run,
      name: 'messaging-unsub-it',
      from: FROM,
      smsAccount: ACCOUNT,
      timeZone: afternoonZone(),
      purpose: PURPOSE,
      observeEvents: true,
    });
    ({ sms, db, base, eventsOf } = service);
  });

  afterAll(async () => {
    await service?.close();
  });

  /** An outreach request of this run, published. */
  async function request(customerId: string, channel: 'SMS' | 'EMAIL'): Promise<OutreachRequested> {
    const value = service.outreach(customerId, channel);
    await service.publish(value);
    return value;
  }

  const eventWith = (caseId: string, status: OutreachEvent['status']) =>
    until(`outreach.event ${status} of ${caseId}`, async () =>
      (await eventsOf(caseId)).find((e) => e.status === status),
    );

  const revocationsOf = (customerId: string): Promise<Array<Record<string, unknown>>> =>
    db.query('SELECT purpose, channel, source FROM consent_revocation WHERE customer_id = $1 ORDER BY id', [
      customerId,
    ]);

  const auditActions = async (customerId: string): Promise<string[]> => {
    const rows: Array<{ action: string }> = await db.query(
      `SELECT value->>'action' AS action FROM outbox
       WHERE topic = $1 AND value->>'action' IN ('consent.revoked', 'outreach.opted-out')
         AND (value->'references'->>'customerId' = $2 OR value->>'caseId' IN
              (SELECT case_id FROM send WHERE customer_id = $2))
       ORDER BY id`,
      [Topics.auditEvent, customerId],
    );
    return rows.map((r) => r.action);
  };

  /** An email sent by the service to a new customer, and the List-Unsubscribe URL of the stored mail, on this host. */
  async function emailed(): Promise<{
    customerId: string;
    email: string;
    phone: string;
    url: string;
    caseId: string;
  }> {
    const email = newEmail();
    const phone = newPhone();
    const customerId = await service.customer({ email, phone }, ['EMAIL', 'SMS']);
    const sent = await request(customerId, 'EMAIL');
    await eventWith(sent.caseId, 'SENT');
    const [mail] = await until('the mail in the SMTP sink', async () => {
      const found = await mailTo(email, FROM);
      return found.length > 0 ? found : undefined;
    });
    const header = mail!.headers['list-unsubscribe']?.[0] ?? '';
    expect(mail!.headers['list-unsubscribe-post']).toEqual(['List-Unsubscribe=One-Click']);
    const target = /^<(https:\/\/app\.closeout\.test\/l\/[A-Za-z0-9_-]{43}\/unsubscribe)>$/.exec(header)?.[1];
    expect(target).toBeDefined();
    // The public link host routes /l/<token>/unsubscribe to messaging.
    return { customerId, email, phone, url: target!.replace(MINIAPP, base), caseId: sent.caseId };
  }

  it('GET never unsubscribes; the one-click POST opts out once: OPTED_OUT, one confirmation, later SMS and EMAIL suppressed; a repeat changes nothing', async () => {
    const { customerId, email, phone, url, caseId } = await emailed();

    // A mail scanner's prefetch: a page with the button, security headers, nothing recorded.
    for (let i = 0; i < 2; i++) {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      expect(html).toContain('<form method="post">');
      expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
      expect(html).not.toContain(url.split('/')[4]!);
    }
    await settle(500);
    expect(await revocationsOf(customerId)).toEqual([]);
    expect((await eventsOf(caseId)).map((e) => e.status)).toEqual(['SENT']);

    // The one-click POST, as a mailbox provider sends it.
    const done = await fetch(url, { method: 'POST', headers: FORM, body: ONE_CLICK });
    expect(done.status).toBe(200);
    expect(done.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await done.text()).toContain('You are unsubscribed');
    const optedOut = await eventWith(caseId, 'OPTED_OUT');
    expect(optedOut).toMatchObject({ channel: 'EMAIL', reason: 'SUPPRESSED_OPTED_OUT', providerRef: null });
    expect(await revocationsOf(customerId)).toEqual([
      { purpose: PURPOSE, channel: 'EMAIL', source: 'list-unsubscribe' },
    ]);
    expect(await auditActions(customerId)).toEqual(['consent.revoked', 'outreach.opted-out']);
    const mails = await until('the confirmation mail', async () => {
      const found = await mailTo(email, FROM);
      return found.length >= 2 ? found : undefined;
    });
    const confirmation = mails.find((m) => m.subject === UNSUBSCRIBE_CONFIRMATION_SUBJECT);
    expect(confirmation?.text?.trim()).toBe(
      'You have been unsubscribed and will get no more messages about this from Closeout Bank.',
    );
    expect(confirmation?.headers['list-unsubscribe']).toBeUndefined();

    // The same POST again (and as multipart): the same page, nothing more recorded, published or mailed.
    const again = await fetch(url, { method: 'POST', headers: FORM, body: ONE_CLICK });
    expect(again.status).toBe(200);
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    expect((await fetch(url, { method: 'POST', body: form })).status).toBe(200);

    // Later requests for the purpose, on either channel: suppressed, nothing sent.
    const nextEmail = await request(customerId, 'EMAIL');
    const nextSms = await request(customerId, 'SMS');
    expect(await eventWith(nextEmail.caseId, 'SUPPRESSED')).toMatchObject({
      channel: 'EMAIL',
      reason: 'SUPPRESSED_OPTED_OUT',
    });
    expect(await eventWith(nextSms.caseId, 'SUPPRESSED')).toMatchObject({
      channel: 'SMS',
      reason: 'SUPPRESSED_OPTED_OUT',
    });
    await settle(1_000);
    expect(await mailTo(email, FROM)).toHaveLength(2);
    expect(sms.journal().filter((m) => m.to === phone)).toEqual([]);
    expect((await eventsOf(caseId)).map((e) => e.status)).toEqual(['SENT', 'OPTED_OUT']);
    expect(await revocationsOf(customerId)).toHaveLength(1);
    expect(await auditActions(customerId)).toEqual(['consent.revoked', 'outreach.opted-out']);

    // No contact point and no token in what went through the outbox.
    const outbox: unknown[] = await db.query('SELECT value FROM outbox');
    for (const secret of [email, phone, url.split('/')[4]!])
      expect(JSON.stringify(outbox)).not.toContain(secret);
  }, 90_000);

  it('an expired link still unsubscribes', async () => {
    const { customerId, url, caseId } = await emailed();
    // The link (and its send) expired a day ago.
    await db.query(
      `UPDATE link SET expires_at = now() - interval '1 day' WHERE send_id IN
         (SELECT id FROM send WHERE customer_id = $1)`,
      [customerId],
    );
    await db.query(`UPDATE send SET link_expires_at = now() - interval '1 day' WHERE customer_id = $1`, [
      customerId,
    ]);
    const done = await fetch(url, { method: 'POST', headers: FORM, body: ONE_CLICK });
    expect(done.status).toBe(200);
    expect(await revocationsOf(customerId)).toEqual([
      { purpose: PURPOSE, channel: 'EMAIL', source: 'list-unsubscribe' },
    ]);
    const next = await request(customerId, 'EMAIL');
    expect(await eventWith(next.caseId, 'SUPPRESSED')).toMatchObject({ reason: 'SUPPRESSED_OPTED_OUT' });
    // Its own outreach is past its link's expiry: no OPTED_OUT for it (as for a STOP reply).
    expect((await eventsOf(caseId)).map((e) => e.status)).toEqual(['SENT']);
  }, 60_000);

  it('answers 404 problem+json for a token of no link or not of our form, and refuses a body that is not one-click, quoting nothing', async () => {
    const problem = async (res: Response, status: number, detail: string, secret?: string) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ status, detail });
      if (secret !== undefined) expect(text).not.toContain(secret);
    };
    const unknown = mintLinkToken().token;
    const notFound = 'no unsubscribe link at this path';
    await problem(await fetch(`${base}/l/${unknown}/unsubscribe`), 404, notFound, unknown);
    await problem(
      await fetch(`${base}/l/${unknown}/unsubscribe`, { method: 'POST', headers: FORM, body: ONE_CLICK }),
      404,
      notFound,
      unknown,
    );
    const marker = 'probe<b>markup</b>';
    for (const token of [encodeURIComponent(marker), 'a'.repeat(44), `${'a'.repeat(42)}=`])
      for (const method of ['GET', 'POST'])
        await problem(
          await fetch(`${base}/l/${token}/unsubscribe`, {
            method,
            ...(method === 'POST' ? { headers: FORM, body: ONE_CLICK } : {}),
          }),
          404,
          notFound,
          marker,
        );

    const { customerId, url } = await emailed();
    await problem(
      await fetch(url, { method: 'POST', headers: FORM, body: 'List-Unsubscribe=Yes' }),
      400,
      'body: must be List-Unsubscribe=One-Click (RFC 8058)',
    );
    await problem(
      await fetch(url, { method: 'POST', headers: FORM }),
      400,
      'body: must be List-Unsubscribe=One-Click (RFC 8058)',
    );
    await problem(
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"List-Unsubscribe":"One-Click"}',
      }),
      415,
      'body: must be application/x-www-form-urlencoded or multipart/form-data (RFC 8058)',
    );
    await problem(
      await fetch(url, { method: 'POST', headers: FORM, body: `${ONE_CLICK}&pad=${'x'.repeat(2_000)}` }),
      413,
      'body: must be at most 1024 bytes',
    );
    await settle(500);
    expect(await revocationsOf(customerId)).toEqual([]);
  }, 60_000);
});
